"""The ONNX recognizer users get from :func:`ocrlite.load`: onnxruntime line engine + page reading."""

from __future__ import annotations

from ocrlite.pages.reader import PageReading
from ocrlite.recognition.onnx_engine import OnnxLineRecognizer


class OnnxRecognizer(PageReading, OnnxLineRecognizer):
    """Recognizer over an ONNX model exported by ``ocrlite export``: ``predict`` (lines) and ``read_page``.

    Example:
        >>> rec = OnnxRecognizer.load("ocrlite/models/default.onnx")     # doctest: +SKIP
        >>> rec.read_page("receipt.jpg").text                           # doctest: +SKIP
    """
