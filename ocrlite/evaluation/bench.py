"""Side-by-side comparison of recognizers: size, MACs, latency, throughput, accuracy; md/csv/png.

Speed rules: threads are fixed per measurement, every timing follows a warm-up, and the
figure reported is the median. All models are measured in one process, one after another,
so ratios between them are meaningful on a shared machine.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from ocrlite.recognition.charset import Charset
from ocrlite.datasets.line_sets import read_label_set
from ocrlite.recognition.reader import BaseRecognizer
from ocrlite.recognition.metrics import score
from ocrlite.nn.crnn import ModelConfig, build_model, count_parameters
from ocrlite.nn.torch_engine import TorchLineRecognizer, fuse_conv_bn
from ocrlite.recognition.preprocess import PreprocessConfig
from ocrlite.evaluation.peers import (  # noqa: F401  (re-exported)
    bench_peers, bench_ppocr, bench_reader, bench_tesseract, find_tessdata)
from ocrlite.evaluation.report import BenchRow, plot, plot_points, write_reports  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from ocrlite.recognition.onnx_engine import OnnxLineRecognizer


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


def torch_threads(rec: TorchLineRecognizer) -> Callable[[int], TorchLineRecognizer]:
    """``make(threads)`` for a torch recognizer: sets torch's global thread count, returns ``rec``."""
    def make(threads: int) -> TorchLineRecognizer:
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
    from ocrlite.recognition.preprocess import prepare

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
            torch_rec = TorchLineRecognizer.load(path)
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
    from ocrlite.nn.export import export_onnx

    out = tmp / f"{checkpoint.stem}.onnx"
    export_onnx(checkpoint, out)
    return out


def _onnx_maker(file: Path) -> Callable[[int], OnnxLineRecognizer]:
    from ocrlite.recognition.onnx_engine import OnnxLineRecognizer

    return lambda threads: OnnxLineRecognizer.load(file, threads=threads)


def bench_architectures(names: list[str]) -> list[BenchRow]:
    """Speed and size of untrained default-size models (no weights needed)."""
    from ocrlite.nn.backbones import list_backbones

    rows = []
    charset = Charset.default()
    for name in names or list_backbones():
        torch.manual_seed(0)
        model = fuse_conv_bn(build_model(ModelConfig(name, charset.num_classes)).eval())
        rec = TorchLineRecognizer(model, charset, PreprocessConfig())
        row = BenchRow(name, count_parameters(model), count_mmacs(model))
        measure_model_speed(torch_threads(rec), row, rec.preprocess.height)
        rows.append(row)
    return rows
