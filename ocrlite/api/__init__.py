"""The public recognizers: a line engine (ONNX or torch) with page reading, and :func:`load_recognizer`.

Layer: above :mod:`ocrlite.recognition` (line engines), :mod:`ocrlite.nn` (the torch engine) and
:mod:`ocrlite.pages` (page reading), which know nothing of each other's public combination. It joins
them: :class:`OnnxRecognizer` and :class:`Recognizer` are a line recognizer plus
:class:`~ocrlite.pages.reader.PageReading`. Importing this package imports neither torch nor
onnxruntime; the torch recognizer is imported only when named.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocrlite.recognition.zoo import resolve_engine
from ocrlite.utils.extras import require

if TYPE_CHECKING:
    from ocrlite.api.onnx_recognizer import OnnxRecognizer
    from ocrlite.api.torch_recognizer import Recognizer

__all__ = ["OnnxRecognizer", "Recognizer", "load_recognizer"]


def load_recognizer(weights: str | Path | None, engine: str = "auto",
                    threads: int | None = None) -> OnnxRecognizer | Recognizer:
    """Open a model for inference: onnxruntime for ``onnx`` (torch is never imported), torch otherwise.

    ``weights`` None means the shipped default (see :func:`ocrlite.recognition.zoo.resolve_engine`);
    ``threads`` sets onnxruntime's intra-op threads or ``torch.set_num_threads`` (None leaves the library default).

    Raises:
        ValueError: unknown engine; ``OnnxModelError`` / ``CheckpointError`` (both ValueErrors) for a
            file that is missing or not an ocrlite model; ``NoDefaultWeightsError`` with no default.
    """
    engine, path = resolve_engine(engine, weights)
    if engine == "onnx":
        from ocrlite.api.onnx_recognizer import OnnxRecognizer

        return OnnxRecognizer.load(path, threads=threads)
    torch = require("torch", "the torch engine (--engine torch, or a .pt model)")
    from ocrlite.api.torch_recognizer import Recognizer

    if threads:
        torch.set_num_threads(threads)
    return Recognizer.load(path)


def __getattr__(name: str) -> Any:
    if name == "OnnxRecognizer":
        from ocrlite.api.onnx_recognizer import OnnxRecognizer

        return OnnxRecognizer
    if name == "Recognizer":
        from ocrlite.api.torch_recognizer import Recognizer

        return Recognizer
    raise AttributeError(f"module 'ocrlite.api' has no attribute {name!r}")
