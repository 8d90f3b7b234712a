"""Lines of a page wider than the recognizer takes (a table row, a ruled form read as one line): cut at the
emptiest columns near equal parts, read as pieces, joined back — the page is read, never refused for one line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocrlite.recognition.decode import Prediction
from ocrlite.recognition.preprocess import ImageTooWideError, PreprocessConfig, prepare_with_width, resized_width
from ocrlite.recognition.reader import BaseRecognizer


def split_crop(crop: np.ndarray, preprocess: PreprocessConfig) -> list[np.ndarray]:
    """``crop`` ``(h, w)`` uint8 cut into as few pieces as keep each under ``preprocess.max_width`` once resized,
    each cut at the lightest column within a fifth of a piece of the equal-parts point (a gap between words)."""
    h, w = crop.shape
    width = resized_width(crop.shape, preprocess.height, preprocess.width_scale)
    parts = int(np.ceil(width / (0.9 * preprocess.max_width)))
    if parts <= 1:
        return [crop]
    ink = (255 - crop.astype(np.float32)).sum(0)  # (w,) darkness per column
    step = w / parts
    cuts = [0]
    for k in range(1, parts):
        lo, hi = int(k * step - step / 5), int(k * step + step / 5)
        cuts.append(lo + int(np.argmin(ink[lo:hi])))
    cuts.append(w)
    return [crop[:, a:b] for a, b in zip(cuts, cuts[1:]) if b - a >= 2]


@dataclass
class CropReading:
    """A crop's prediction and where each of its characters lies in the crop.

    Attributes:
        prediction: what the crop reads.
        char_columns: per character of ``prediction.text``, ``(x0, x1)``: the crop columns of its run on
            the CTC best path (a character's run is narrower than its glyph; see :mod:`ocrlite.pages.words`).
    """

    prediction: Prediction
    char_columns: list[tuple[float, float]]


def read_crops(rec: BaseRecognizer, crops: list[np.ndarray], batch_size: int) -> list[Prediction]:
    """One prediction per crop; a crop too wide for the model is read in pieces and joined with spaces."""
    return [r.prediction for r in read_crops_located(rec, crops, batch_size)]


def read_crops_located(rec: BaseRecognizer, crops: list[np.ndarray], batch_size: int) -> list[CropReading]:
    """:func:`read_crops` with each character's columns in its crop (from the CTC alignment)."""
    prepared: list[np.ndarray] = []
    owners: list[int] = []
    #: per prepared piece: its first crop column and crop columns per model-output frame
    placement: list[tuple[float, float]] = []
    for i, crop in enumerate(crops):
        try:
            pieces = [crop]
            arrays = [prepare_with_width(crop, rec.preprocess)]
        except ImageTooWideError:
            pieces = split_crop(crop, rec.preprocess)
            arrays = [prepare_with_width(p, rec.preprocess) for p in pieces]
        left = 0
        for piece, (array, filled) in zip(pieces, arrays):
            prepared.append(array)
            owners.append(i)
            placement.append((float(left), rec.width_stride * piece.shape[1] / max(filled, 1)))
            left += piece.shape[1]
    predictions = rec.predict_sorted(prepared, batch_size)
    grouped: list[list[tuple[Prediction, list[tuple[float, float]]]]] = [[] for _ in crops]
    for owner, pred, (left, per_frame) in zip(owners, predictions, placement):
        columns = [(left + a * per_frame, left + b * per_frame) for a, b in pred.char_frames]
        grouped[owner].append((pred, columns))
    return [CropReading(*parts[0]) if len(parts) == 1 else _join(parts) for parts in grouped]


def _join(parts: list[tuple[Prediction, list[tuple[float, float]]]]) -> CropReading:
    chars: list[float] = []
    columns: list[tuple[float, float]] = []
    pieces = []
    for part, part_columns in parts:
        text = part.text.strip()
        if not text:
            continue
        start = len(part.text) - len(part.text.lstrip())
        if pieces:
            chars.append(float(np.mean(chars[-1:] + part.char_confidences[:1])))  # the space between pieces
            if columns and part_columns:
                columns.append((columns[-1][1], part_columns[start][0]))
        chars += list(part.char_confidences[start:start + len(text)])
        columns += list(part_columns[start:start + len(text)])
        pieces.append(text)
    text = " ".join(pieces)
    confidence = float(np.mean(chars)) if chars else float(np.mean([p.confidence for p, _ in parts]))
    return CropReading(Prediction(text, confidence, chars), columns if len(columns) == len(text) else [])
