"""The torch recognizer (``ocrlite[train]``): torch line engine + page reading."""

from __future__ import annotations

from ocrlite.nn.torch_engine import TorchLineRecognizer
from ocrlite.pages.reader import PageReading


class Recognizer(PageReading, TorchLineRecognizer):
    """Recognizer around a CRNN checkpoint (torch engine): ``predict`` (lines) and ``read_page``.

    Example:
        >>> rec = Recognizer.load("weights/mobilenet.pt")             # doctest: +SKIP
        >>> [p.text for p in rec.predict(["a.png", "b.png"])]         # doctest: +SKIP
    """
