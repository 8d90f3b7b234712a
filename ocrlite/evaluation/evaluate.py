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


def evaluate_lines(
    recognizer: Recognizer, lines: list[LabeledLine], name: str, batch_size: int = 64,
    fold_case: bool = False, ignore_space: bool = False,
) -> SetResult:
    """Load, recognise and score ``lines``; unreadable images are reported and count as empty predictions."""
    images, truths, paths, failed = [], [], [], []
    for line in lines:
        try:
            images.append(recognizer.prepare(line.load()))
            truths.append(line.text)
            paths.append(str(line.path))
        except (ImageLoadError, ImageTooWideError, ValueError) as err:
            failed.append((str(line.path), str(err)))
    scores, preds, elapsed = evaluate_prepared(recognizer, images, truths, batch_size, fold_case, ignore_space)
    if failed:  # a line we could not read is a line we got wrong
        all_preds = preds + [""] * len(failed)
        all_truths = truths + [t.text for t in lines if str(t.path) in {p for p, _ in failed}]
        scores = score(all_preds, all_truths, fold_case, ignore_space)
    rows = []
    for path, truth, pred in zip(paths, truths, preds):
        d = edit_distance(normalize(pred, fold_case, ignore_space), normalize(truth, fold_case, ignore_space))
        rows.append((path, truth, pred, d))
    return SetResult(name, scores, len(images) / elapsed if elapsed > 0 else 0.0, failed, rows)
