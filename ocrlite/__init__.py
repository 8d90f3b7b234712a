"""ocrlite: a light CRNN text-line recognizer.

Importing the package is cheap: torch is only imported when a model-related name is used.

    >>> from ocrlite import Recognizer
    >>> rec = Recognizer.load("weights/mobilenet.pt")     # doctest: +SKIP
    >>> rec.predict(["line.png"])[0].text                 # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Recognizer", "Prediction", "list_backbones", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Recognizer":
        from ocrlite.predict import Recognizer

        return Recognizer
    if name == "Prediction":
        from ocrlite.decode import Prediction

        return Prediction
    if name == "list_backbones":
        from ocrlite.backbones import list_backbones

        return list_backbones
    raise AttributeError(f"module 'ocrlite' has no attribute {name!r}")
