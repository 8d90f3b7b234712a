"""The records a batch job writes — one per line image or page — the same from every engine (local, Ray)."""

from __future__ import annotations

from ocrlite.recognition.decode import Prediction

#: Every record's fields, in order (pages add ``lines`` and ``rotation``).
LINE_FIELDS = ("path", "page", "text", "confidence", "error")
PAGE_FIELDS = ("path", "page", "text", "confidence", "lines", "rotation", "error")


def line_record(path: str, prediction: Prediction | None, error: str | None) -> dict:
    """A line image's record: its text and confidence, or the reason it could not be read."""
    return {"path": path, "page": None, "text": prediction.text if prediction else None,
            "confidence": round(prediction.confidence, 4) if prediction else None, "error": error}


def page_record(path: str, page: int | None, result=None, error: str | None = None) -> dict:
    """A page's record (``page``: its number in a PDF, None for an image): its text, mean line confidence,
    lines (box, text, confidences, words) and rotation — or the reason it could not be read."""
    record = {"path": path, "page": page, "text": None, "confidence": None, "lines": None, "rotation": None,
              "error": error}
    if result is not None and error is None:
        confidences = [line.confidence for line in result.lines]
        record.update(text=result.text, confidence=round(sum(confidences) / len(confidences), 4) if confidences else 0.0,
                      lines=[line.to_dict() for line in result.lines], rotation=result.rotation)
    return record
