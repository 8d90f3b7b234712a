"""One-file checkpoints: a plain dict of primitives and tensors, loadable with ``weights_only=True``.

Layout (``format_version`` 1)::

    {"format": "ocrlite", "format_version": 1, "ocrlite_version": "0.1.0",
     "model": asdict(ModelConfig), "charset": "…", "preprocess": asdict(PreprocessConfig),
     "state_dict": {...}, "metrics": {...}, "train": {...},            # provenance
     "resume": {...}}                                                  # last.pt only

Loading never unpickles arbitrary objects: a file that needs more than tensors and plain
containers is refused.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ocrlite.utils.version import __version__
from ocrlite.recognition.charset import Charset, CharsetError
from ocrlite.nn.crnn import CRNN, ModelConfig, build_model
from ocrlite.utils.outputs import write_bytes_atomic
from ocrlite.recognition.preprocess import PreprocessConfig

FORMAT = "ocrlite"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a usable ocrlite checkpoint; the message names the file and the problem."""


@dataclass
class LoadedCheckpoint:
    """What :func:`load_checkpoint` returns."""

    model: CRNN
    charset: Charset
    preprocess: PreprocessConfig
    config: ModelConfig
    raw: dict[str, Any]


def unwrap(model: nn.Module) -> nn.Module:
    """Strip ``DistributedDataParallel`` (``.module``) and ``torch.compile`` (``._orig_mod``) wrappers."""
    while True:
        if hasattr(model, "_orig_mod"):
            model = model._orig_mod  # type: ignore[assignment]
        elif isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        else:
            return model


def checkpoint_dict(
    model: nn.Module,
    config: ModelConfig,
    charset: Charset,
    preprocess: PreprocessConfig,
    metrics: dict[str, Any] | None = None,
    train: dict[str, Any] | None = None,
    half: bool = False,
) -> dict[str, Any]:
    """Build the checkpoint dict; ``half=True`` stores floating tensors as fp16 (restored to fp32 on load)."""
    if config.num_classes != charset.num_classes:
        raise CheckpointError(f"model has {config.num_classes} classes but the charset needs {charset.num_classes}")
    state = {k: v.detach().cpu().clone() for k, v in unwrap(model).state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "ocrlite_version": __version__,
        "model": config.to_dict(),
        "charset": charset.chars,
        "preprocess": preprocess.to_dict(),
        "state_dict": state,
        "state_sha256": state_digest(state),
        "metrics": dict(metrics or {}),
        "train": dict(train or {}),
    }


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over a state dict's names, shapes and bytes: stored in every checkpoint, checked when read, so a
    file whose tensor bytes were damaged (bits flipped on a disk) is refused instead of loading and diverging."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def atomic_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` into memory, then :func:`ocrlite.utils.outputs.write_bytes_atomic` (temporary file beside ``path``, fsync, rename).

    A crash or a full disk at any moment leaves either the old file or the new one, never a
    partial file at ``path``.
    """
    path = Path(path)
    buffer = io.BytesIO()
    torch.save(obj, buffer)  # a serialisation error leaves no file at all
    write_bytes_atomic(path, buffer.getvalue())  # temp file beside it, fsync, umask mode, one rename
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and validate the raw dict (``weights_only=True``), with a clear error for every bad case."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file" if not path.exists() else f"{path}: not a file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read ({err.strerror})") from None
    if not data:
        raise CheckpointError(f"{path}: empty file, not an ocrlite checkpoint")
    try:
        ck = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if "unsupported global" in str(err).lower():  # the pickle imports a callable: it could run code
            raise CheckpointError(
                f"{path}: refused: the file holds Python objects that safe loading does not allow "
                f"(it could run code when opened); ocrlite checkpoints hold only tensors and plain values"
            ) from None
        raise CheckpointError(f"{path}: not an ocrlite checkpoint ({first})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as err:
        msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        if data[:2] == b"PK" and ("central directory" in msg or "zip" in msg.lower() or "failed finding" in msg):
            raise CheckpointError(f"{path}: truncated or corrupt checkpoint ({msg})") from None
        raise CheckpointError(f"{path}: not an ocrlite checkpoint ({msg})") from None
    except Exception as err:  # torch raises assorted types on garbage input
        raise CheckpointError(f"{path}: not an ocrlite checkpoint ({type(err).__name__}: {err})") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an ocrlite checkpoint (no 'format': 'ocrlite' entry)")
    version = ck.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version!r} is newer than this ocrlite supports "
            f"({FORMAT_VERSION}); upgrade ocrlite"
        )
    missing = [k for k in ("model", "charset", "preprocess", "state_dict") if k not in ck]
    if missing:
        raise CheckpointError(f"{path}: checkpoint lacks {', '.join(missing)}")
    stored = ck.get("state_sha256")  # files written before checksums have none, and load as before
    if stored is not None and isinstance(ck["state_dict"], dict) and state_digest(ck["state_dict"]) != stored:
        raise CheckpointError(f"{path}: damaged checkpoint (its weights do not match their checksum); use "
                              f"another copy, or the run's best.pt")
    return ck


#: A recognizer for one text line never needs more parameters than this; a config asking for more
#: is refused before anything is allocated.
MAX_PARAMETERS = 200_000_000


def check_shapes(path: str | Path, config: ModelConfig, state: dict[str, torch.Tensor]) -> None:
    """Build the model on the ``meta`` device (no memory) and compare it with ``state`` before the real build.

    Raises:
        CheckpointError: the config cannot build a model, asks for more than :data:`MAX_PARAMETERS`,
            or its parameter names / shapes differ from the state dict.
    """
    try:
        with torch.device("meta"):
            skeleton = build_model(config)
    except Exception as err:  # noqa: BLE001 - any failure to build is a bad file
        raise CheckpointError(f"{path}: cannot rebuild the model ({type(err).__name__}: {err})") from None
    expected = skeleton.state_dict()
    total = sum(v.numel() for v in expected.values())
    if total > MAX_PARAMETERS:
        raise CheckpointError(f"{path}: model config asks for {total:,} parameters (limit {MAX_PARAMETERS:,})")
    missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or extra:
        raise CheckpointError(f"{path}: weights do not match the model "
                              f"({'missing ' + missing[0] if missing else 'unexpected ' + extra[0]})")
    for name, tensor in expected.items():
        if tuple(state[name].shape) != tuple(tensor.shape):
            raise CheckpointError(f"{path}: weights do not match the model ({name} is {tuple(state[name].shape)}, "
                                  f"the config needs {tuple(tensor.shape)})")
        got = state[name].dtype
        # load_state_dict would cast a bool, integer or complex tensor into a float parameter silently.
        if tensor.is_floating_point() and not (got.is_floating_point and not got.is_complex):
            raise CheckpointError(f"{path}: weights do not match the model ({name} is {got}, a float tensor is needed)")
        if not tensor.is_floating_point() and got != tensor.dtype:
            raise CheckpointError(f"{path}: weights do not match the model ({name} is {got}, {tensor.dtype} is needed)")


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> LoadedCheckpoint:
    """Rebuild model, charset and preprocessing from one checkpoint file.

    Returns:
        The model in eval mode (fp32, on ``device``), its charset, preprocessing, config and the raw dict.

    Raises:
        CheckpointError: not an ocrlite checkpoint, truncated, unsafe, newer format, or inconsistent.
    """
    ck = read_checkpoint(path)
    try:
        if not all(isinstance(ck[k], dict) for k in ("model", "preprocess", "state_dict")):
            raise TypeError("model, preprocess and state_dict must be mappings")
        config = ModelConfig(**ck["model"])
        charset = Charset(ck["charset"])
        preprocess = PreprocessConfig(**ck["preprocess"])
    except (TypeError, ValueError, CharsetError) as err:
        raise CheckpointError(f"{path}: malformed checkpoint configuration ({err})") from None
    state = ck["state_dict"]
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise CheckpointError(f"{path}: state_dict must map parameter names to tensors")
    if config.num_classes != charset.num_classes:
        raise CheckpointError(
            f"{path}: charset has {len(charset)} characters (head needs {charset.num_classes} classes) "
            f"but the model was built with {config.num_classes}; the file is inconsistent"
        )
    check_shapes(path, config, state)
    try:
        model = build_model(config)
    except (ValueError, TypeError, RuntimeError) as err:
        raise CheckpointError(f"{path}: cannot rebuild the model ({err})") from None
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise CheckpointError(f"{path}: weights hold NaN or infinite values ({bad[0]}{' …' if len(bad) > 1 else ''}); "
                              f"the run that wrote it diverged")
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not match the model ({str(err).splitlines()[0]})") from None
    return LoadedCheckpoint(model.to(device).eval(), charset, preprocess, config, ck)
