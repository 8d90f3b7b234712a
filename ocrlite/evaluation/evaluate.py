"""Evaluate a recognizer on labelled lines: CER, WER, exact-line accuracy, lines/s."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ocrlite.datasets.line_sets import LabeledLine
from ocrlite.inputs.images import ImageLoadError
from ocrlite.recognition.metrics import Scores, edit_distance, normalize, score
from ocrlite.recognition.reader import BaseRecognizer as Recognizer
from ocrlite.recognition.preprocess import ImageTooWideError


@dataclass
class SetResult:
    """Scores of one set plus the per-line outcomes."""

    name: str
    scores: Scores
    lines_per_s: float
    failed: list[tuple[str, str]] = field(default_factory=list)   # (path, reason)
    rows: list[tuple[str, str, str, int]] = field(default_factory=list)  # (path, truth, prediction, distance)

    def as_dict(self) -> dict[str, Any]:
        return {"set": self.name, **asdict(self.scores), "lines_per_s": self.lines_per_s, "failed": len(self.failed)}


def evaluate_prepared(
    recognizer: Recognizer, images: list[np.ndarray], truths: list[str], batch_size: int = 64,
    fold_case: bool = False, ignore_space: bool = False,
) -> tuple[Scores, list[str], float]:
    """Score already-prepared images. Returns scores, predictions, and recognition time in seconds."""
    start = time.perf_counter()
    preds = [p.text for p in recognizer.predict_sorted(images, batch_size)]
    elapsed = time.perf_counter() - start
    return score(preds, truths, fold_case, ignore_space), preds, elapsed


#: Lines prepared at once by :func:`evaluate_lines`: memory holds one chunk of images, whatever the set's size.
EVAL_CHUNK = 4096


def evaluate_lines(
    recognizer: Recognizer, lines: list[LabeledLine], name: str, batch_size: int = 64,
    fold_case: bool = False, ignore_space: bool = False, chunk: int = EVAL_CHUNK,
) -> SetResult:
    """Load, recognise and score ``lines`` ``chunk`` at a time (memory holds one chunk's images, not the
    set's); unreadable images are reported and count as empty predictions."""
    truths, paths, preds, failed, failed_truths = [], [], [], [], []
    elapsed = 0.0
    for start in range(0, len(lines), chunk):
        images = []
        for line in lines[start:start + chunk]:
            try:
                images.append(recognizer.prepare(line.load()))
                truths.append(line.text)
                paths.append(str(line.path))
            except (ImageLoadError, ImageTooWideError, ValueError) as err:
                failed.append((str(line.path), str(err)))
                failed_truths.append(line.text)
        if images:
            began = time.perf_counter()
            preds += [p.text for p in recognizer.predict_sorted(images, batch_size)]
            elapsed += time.perf_counter() - began
    # a line we could not read is a line we got wrong
    scores = score(preds + [""] * len(failed), truths + failed_truths, fold_case, ignore_space)
    rows = []
    for path, truth, pred in zip(paths, truths, preds):
        d = edit_distance(normalize(pred, fold_case, ignore_space), normalize(truth, fold_case, ignore_space))
        rows.append((path, truth, pred, d))
    return SetResult(name, scores, len(preds) / elapsed if elapsed > 0 else 0.0, failed, rows)
