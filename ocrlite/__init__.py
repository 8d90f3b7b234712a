"""ocrlite: a light CRNN text-line and page recognizer that runs on onnxruntime alone.

Importing the package is cheap and has no side effects; torch is imported only when a torch-only
name is used. The package is in layers (docs/architecture.md); this module is the thin public API
on top of them.

    >>> import ocrlite
    >>> reader = ocrlite.load()                               # doctest: +SKIP
    >>> reader.predict("line.png")[0].text                    # doctest: +SKIP
    'TOTAL RM 12.30'
    >>> page = reader.read_page("receipt.jpg")                # doctest: +SKIP
    >>> print(page.text)                                      # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocrlite import _legacy
from ocrlite.utils.version import __version__

__all__ = ["load", "OnnxRecognizer", "Recognizer", "Prediction", "PageResult", "PageLine", "list_backbones",
           "__version__"]

_legacy.install()  # old flat import paths (ocrlite.predict, ocrlite.page, …) keep working

if TYPE_CHECKING:
    from ocrlite.recognition.reader import BaseRecognizer


def load(weights: str | Path | None = None, engine: str = "auto", threads: int | None = None,
         detector: str = "auto", max_pixels: int | None = None) -> BaseRecognizer:
    """Open a recognizer: by default the shipped default model on the fastest engine installed.

    Args:
        weights: a ``.onnx`` or ``.pt`` model file, or a shipped model's name (``"default"``, ``"fast"``;
            ``ocrlite models`` lists them). None: the shipped default model.
        engine: ``auto`` (onnxruntime for ``.onnx`` files and, with no ``weights``, whenever it is
            installed — about 5× faster than torch at batch 1; torch otherwise), ``onnx`` or ``torch``.
        threads: CPU threads for the engine (None: its own default).
        detector: how ``read_page`` finds lines: ``auto`` (the shipped learned detector when it ships),
            ``learned`` (a DB detector: any background, any rotation) or ``classic`` (binarise and cut).
        max_pixels: the pixel limit of an input image, line or page (None: 120 MP), checked before decoding.

    Returns:
        An :class:`~ocrlite.api.OnnxRecognizer` or a torch :class:`~ocrlite.api.Recognizer`;
        both have ``predict(images)`` (line images → :class:`Prediction` list) and ``read_page(image)``
        (a page → :class:`PageResult`), and take paths, PIL images or numpy arrays.

    Raises:
        ValueError: an unknown engine, a file that is not an ocrlite model, or an engine whose package
            is missing (the message says which extra to install).
    """
    from ocrlite.api import load_recognizer
    from ocrlite.pages.reader import resolve_detector

    reader = load_recognizer(weights, engine, threads)
    reader.detector = resolve_detector(detector)
    if max_pixels is not None:
        if not isinstance(max_pixels, int) or max_pixels < 1:
            raise ValueError(f"max_pixels must be a positive integer, got {max_pixels!r}")
        reader.max_pixels = max_pixels
    return reader


def __getattr__(name: str) -> Any:
    if name in ("Recognizer", "OnnxRecognizer"):  # Recognizer is the torch engine: needs ocrlite[train]
        import ocrlite.api

        return getattr(ocrlite.api, name)
    if name == "Prediction":
        from ocrlite.recognition.decode import Prediction

        return Prediction
    if name in ("PageResult", "PageLine"):
        from ocrlite.pages import reader

        return getattr(reader, name)
    if name == "list_backbones":
        from ocrlite.nn.backbones import list_backbones

        return list_backbones
    raise AttributeError(f"module 'ocrlite' has no attribute {name!r}")
