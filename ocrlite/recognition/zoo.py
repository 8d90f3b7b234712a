"""The shipped-model registry and engine choice (torch-free, so the onnxruntime path never imports torch).

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

from ocrlite.utils.resources import MODELS_DIR, REPO_WEIGHTS_DIR


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


#: The shipped models by name: what each is for and its measured speed (receipt lines/s at batch 1, one thread,
#: int8 ONNX, 2026-12-07: the default by ``scripts/bench/ab_speed.py``, fast by ``ocrlite bench`` in README "How it
#: compares"; ``ocrlite bench`` re-measures them on your machine).
SHIPPED_MODELS = {
    DEFAULT_MODEL: {"role": "the default: accuracy first (Western European print, receipts, documents)",
                    "lines_per_s": 597},
    FAST_MODEL: {"role": "speed first: faster than the default (more so at larger batches), several times its errors",
                 "lines_per_s": 693},
}


def shipped_model_path(name: str, suffix: str) -> Path | None:
    """The shipped file of a model named ``default`` or ``fast`` (``suffix`` ``.onnx`` or ``.pt``), or None
    when ``name`` is not a shipped model's name."""
    if name not in SHIPPED_MODELS:
        return None
    return WEIGHTS_DIR / f"{name}{suffix}"


def named_or_path(weights: str | Path, suffix: str) -> Path:
    """``weights`` as a path: a shipped model's name (``default``, ``fast``) — unless a file of that name is
    in the current folder — means its shipped file with ``suffix``."""
    path = Path(weights)
    if not path.exists():
        shipped = shipped_model_path(str(weights), suffix)
        if shipped is not None:
            return shipped
    return path


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
        if str(weights) in SHIPPED_MODELS and not Path(weights).exists():  # a shipped model by name
            if engine == "auto":
                engine = "onnx" if onnxruntime_available() else "torch"
            return engine, named_or_path(weights, ".onnx" if engine == "onnx" else ".pt")
        path = Path(weights)
        if engine == "auto":
            engine = "onnx" if path.suffix.lower() == ".onnx" else "torch"
        return engine, path
    if engine == "auto":
        onnx_default = WEIGHTS_DIR / f"{DEFAULT_MODEL}.onnx"
        engine = "onnx" if onnxruntime_available() and onnx_default.is_file() else "torch"
    return engine, default_weights_path(".onnx" if engine == "onnx" else ".pt")

