"""Shipped models and engine choice (torch-free, so the onnxruntime path never imports torch).

The package ships the default model — ``ocrlite/models/default.onnx`` (int8, what ``ocrlite predict``
and :func:`ocrlite.load` run with onnxruntime) and ``default.pt`` (the torch checkpoint it was exported
from, for the torch engine and fine-tuning) — and the fastest model, ``fast.onnx`` / ``fast.pt``. With no
``--weights``, ``--engine auto`` runs the ONNX file when onnxruntime is installed (≈5× faster than torch
at batch 1 on CPU) and the torch checkpoint otherwise. Which backbone and why: weights/README.md (the
model card, in the repository with the backbone-comparison checkpoints).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from ocrlite.resources import MODELS_DIR, REPO_WEIGHTS_DIR

if TYPE_CHECKING:
    from ocrlite.engine import BaseRecognizer

#: Where the shipped models live (``ocrlite/models`` inside the package), overridable by $OCRLITE_WEIGHTS_DIR.
WEIGHTS_DIR = MODELS_DIR
#: The shipped default model's file stem (an Xception, chosen by the backbone comparison; weights/README.md).
DEFAULT_MODEL = "default"
#: The shipped speed-first model's file stem (a MobileNet: about 2× the default's lines/s, less accurate).
FAST_MODEL = "fast"
#: Shipped files named for their role rather than their backbone.
ROLE_MODELS = (DEFAULT_MODEL, FAST_MODEL)
#: ``--engine`` values.
ENGINES = ("auto", "torch", "onnx")


class NoDefaultWeightsError(FileNotFoundError):
    """No ``--weights`` was given and no default model is shipped."""


def default_weights_path(suffix: str = ".pt") -> Path:
    """The shipped default model: ``.pt`` (torch checkpoint) or ``.onnx`` (its export).

    Raises:
        NoDefaultWeightsError: it is not there.
    """
    path = WEIGHTS_DIR / f"{DEFAULT_MODEL}{suffix}"
    if not path.is_file():
        how = "a checkpoint from `ocrlite train`" if suffix == ".pt" else "a model from `ocrlite export`"
        raise NoDefaultWeightsError(f"no default model at {path}; pass --weights FILE ({how})")
    return path


def shipped_checkpoints() -> list[Path]:
    """Every shipped torch checkpoint, sorted by name: the package's models, and in a source checkout
    the repository's ``weights/*.pt`` too (the backbone comparison)."""
    found = {p.name: p for p in sorted(WEIGHTS_DIR.glob("*.pt"))}
    if REPO_WEIGHTS_DIR.is_dir() and REPO_WEIGHTS_DIR.resolve() != WEIGHTS_DIR.resolve():
        for p in sorted(REPO_WEIGHTS_DIR.glob("*.pt")):
            found.setdefault(p.name, p)
    return [found[name] for name in sorted(found)]


def onnxruntime_available() -> bool:
    """onnxruntime can be imported (without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def resolve_engine(engine: str, weights: str | Path | None) -> tuple[str, Path]:
    """The engine (``torch`` or ``onnx``) and model file that a command should use.

    ``auto``: a given file decides by its suffix (``.onnx`` → onnx, anything else → torch); with no
    file, the default model's ``.onnx`` when onnxruntime is installed and the file ships, else its ``.pt``.

    Raises:
        ValueError: unknown engine (lists the valid ones).
        NoDefaultWeightsError: no file was given and the default one is missing.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if weights is not None:
        path = Path(weights)
        if engine == "auto":
            engine = "onnx" if path.suffix.lower() == ".onnx" else "torch"
        return engine, path
    if engine == "auto":
        onnx_default = WEIGHTS_DIR / f"{DEFAULT_MODEL}.onnx"
        engine = "onnx" if onnxruntime_available() and onnx_default.is_file() else "torch"
    return engine, default_weights_path(".onnx" if engine == "onnx" else ".pt")


def load_recognizer(weights: str | Path | None, engine: str = "auto", threads: int | None = None) -> BaseRecognizer:
    """Open a model for inference: onnxruntime for ``onnx`` (torch is never imported), torch otherwise.

    ``weights`` None means the shipped default (see :func:`resolve_engine`); ``threads`` sets
    onnxruntime's intra-op threads or ``torch.set_num_threads`` (None leaves the library default).

    Raises:
        ValueError: unknown engine; ``OnnxModelError`` / ``CheckpointError`` (both ValueErrors) for a
            file that is missing or not an ocrlite model; ``NoDefaultWeightsError`` with no default.
    """
    engine, path = resolve_engine(engine, weights)
    if engine == "onnx":
        from ocrlite.onnx_engine import OnnxRecognizer

        return OnnxRecognizer.load(path, threads=threads)
    from ocrlite.extras import require

    torch = require("torch", "the torch engine (--engine torch, or a .pt model)")
    from ocrlite.predict import Recognizer

    if threads:
        torch.set_num_threads(threads)
    return Recognizer.load(path)
