"""Lines of a page wider than the recognizer takes (a table row, a ruled form read as one line): cut at the
emptiest columns near equal parts, read as pieces, joined back — the page is read, never refused for one line."""

from __future__ import annotations

import numpy as np

from ocrlite.recognition.decode import Prediction
from ocrlite.recognition.preprocess import ImageTooWideError, PreprocessConfig, prepare, resized_width
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


def read_crops(rec: BaseRecognizer, crops: list[np.ndarray], batch_size: int) -> list[Prediction]:
    """One prediction per crop; a crop too wide for the model is read in pieces and joined with spaces."""
    prepared: list[np.ndarray] = []
    owners: list[int] = []
    for i, crop in enumerate(crops):
        try:
            pieces = [prepare(crop, rec.preprocess)]
        except ImageTooWideError:
            pieces = [prepare(p, rec.preprocess) for p in split_crop(crop, rec.preprocess)]
        prepared += pieces
        owners += [i] * len(pieces)
    predictions = rec.predict_sorted(prepared, batch_size)
    grouped: list[list[Prediction]] = [[] for _ in crops]
    for owner, pred in zip(owners, predictions):
        grouped[owner].append(pred)
    return [parts[0] if len(parts) == 1 else _join(parts) for parts in grouped]


def _join(parts: list[Prediction]) -> Prediction:
    texts = [p.text.strip() for p in parts]
    chars: list[float] = []
    pieces = []
    for text, part in zip(texts, parts):
        if not text:
            continue
        if pieces:
            chars.append(float(np.mean(chars[-1:] + part.char_confidences[:1])))  # the space between pieces
        start = len(part.text) - len(part.text.lstrip())
        chars += list(part.char_confidences[start:start + len(text)])
        pieces.append(text)
    text = " ".join(pieces)
    confidence = float(np.mean(chars)) if chars else float(np.mean([p.confidence for p in parts]))
    return Prediction(text, confidence, chars)
