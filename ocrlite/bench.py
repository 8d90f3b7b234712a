"""Side-by-side comparison of recognizers: size, MACs, latency, throughput, accuracy; md/csv/png.

Speed rules: threads are fixed per measurement, every timing follows a warm-up, and the
figure reported is the median. All models are measured in one process, one after another,
so ratios between them are meaningful on a shared machine.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from ocrlite.charset import Charset
from ocrlite.data import read_label_set
from ocrlite.metrics import score
from ocrlite.model import ModelConfig, build_model, count_parameters
from ocrlite.predict import Recognizer, fuse_conv_bn
from ocrlite.preprocess import PreprocessConfig


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


def measure_model_speed(rec: Recognizer, row: BenchRow, width: int = 256) -> None:
    """Latency at batch 1 / 1 thread and lines/s at batch 32 / 1 and 2 threads, on a fixed-size input."""
    h = rec.preprocess.height
    one, many = torch.zeros(1, 1, h, width), torch.zeros(32, 1, h, width)
    with torch.inference_mode():
        torch.set_num_threads(1)
        row.latency_ms = 1000 * median_time(lambda: rec.model(one))
        row.lines_s_b32_t1 = 32 / median_time(lambda: rec.model(many), runs=10, warmup=2)
        torch.set_num_threads(2)
        row.lines_s_b32_t2 = 32 / median_time(lambda: rec.model(many), runs=10, warmup=2)


def measure_on_set(rec, images: list[np.ndarray], truths: list[str], threads: int | None = None) -> dict[str, float]:
    """CER and accuracy (case folded) plus end-to-end lines/s (model + decoding) at batch 1 and 32.

    ``threads`` sets torch's thread count; pass ``None`` for engines configured at load (ONNX).
    """
    if threads is not None:
        torch.set_num_threads(threads)
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
    from ocrlite.images import load_gray
    from ocrlite.preprocess import prepare

    out = {}
    for p in paths:
        lines, _ = read_label_set(p)
        lines = lines[:limit] if limit else lines
        images, truths = [], []
        for line in lines:
            try:
                images.append(prepare(load_gray(line.path), preprocess))
                truths.append(line.text)
            except Exception:  # noqa: BLE001 - a bad file is not a benchmark result
                continue
        out[Path(p).name] = (images, truths)
    return out


def bench_checkpoints(weights: list[Path], sets: list[str], threads: int, limit: int | None = None) -> list[BenchRow]:
    """Measure every checkpoint in ``weights`` (and score it on ``sets``)."""
    rows = []
    prepared: dict[tuple, dict] = {}
    for path in weights:
        rec = Recognizer.load(path)
        row = BenchRow(path.stem, count_parameters(rec.model), count_mmacs(rec.model), path.stat().st_size / 1e6)
        measure_model_speed(rec, row)
        key = tuple(sorted(rec.preprocess.to_dict().items()))
        if key not in prepared:
            prepared[key] = load_sets(sets, rec.preprocess, limit)
        for name, (images, truths) in prepared[key].items():
            row.sets[name] = measure_on_set(rec, images, truths, threads)
        rows.append(row)
    return rows


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
        measure_model_speed(rec, row)
        rows.append(row)
    return rows


def bench_tesseract(sets: dict[str, tuple[list[str], list[str]]]) -> BenchRow | None:
    """Tesseract (tesserocr, one line per call, PSM 7) on the same lines, if installed."""
    try:
        import tesserocr  # type: ignore[import-not-found]
        from PIL import Image
    except ImportError:
        return None
    row = BenchRow("tesseract")
    with tesserocr.PyTessBaseAPI(psm=tesserocr.PSM.SINGLE_LINE) as api:
        for name, (paths, truths) in sets.items():
            images = [Image.open(p).convert("L") for p in paths]
            preds = []
            start = time.perf_counter()
            for im in images:
                api.SetImage(im)
                preds.append(api.GetUTF8Text().strip())
            rate = len(images) / (time.perf_counter() - start)
            s = score(preds, truths, fold_case=True)
            row.sets[name] = {"cer": s.cer, "accuracy": s.accuracy, "lines_s_b1": rate, "lines_s_b32": rate}
    return row


def write_reports(rows: list[BenchRow], out: Path, command: str) -> None:
    """``bench.md``, ``bench.csv`` and (with a set) ``bench.png`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    set_names = sorted({s for r in rows for s in r.sets})
    header = ["model", "params (M)", "MMACs/line @32×256", "file (MB)", "latency b1 t1 (ms)", "lines/s b32 t1",
              "lines/s b32 t2"]
    for s in set_names:
        header += [f"{s} CER", f"{s} line acc", f"{s} lines/s b1 t1", f"{s} lines/s b32"]
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
        plot(rows, set_names[0], out / "bench.png")


def plot(rows: list[BenchRow], set_name: str, path: Path) -> None:
    """CER versus lines/s (batch 1, 1 thread) on ``set_name``, one labelled point per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    for r in rows:
        m = r.sets.get(set_name)
        if not m:
            continue
        marker = "s" if r.name == "tesseract" else "o"
        ax.scatter(m["lines_s_b1"], 100 * m["cer"], marker=marker, s=50)
        ax.annotate(r.name, (m["lines_s_b1"], 100 * m["cer"]), textcoords="offset points", xytext=(5, 5), fontsize=9)
    ax.set_xlabel("lines/s (batch 1, 1 thread)")
    ax.set_ylabel(f"CER on {set_name} (%, case folded)")
    ax.set_title("ocrlite backbones: accuracy versus speed")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
