"""Recognizer: load a checkpoint once, recognise many line images, batched by similar width."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from ocrlite.checkpoint import load_checkpoint
from ocrlite.decode import Prediction, class_mask, decode
from ocrlite.images import ImageLoadError, load_gray
from ocrlite.preprocess import ImageTooWideError, collate_images, prepare

#: Where shipped weights live (the repository's ``weights/`` folder), overridable by $OCRLITE_WEIGHTS_DIR.
WEIGHTS_DIR = Path(os.environ.get("OCRLITE_WEIGHTS_DIR", Path(__file__).resolve().parent.parent / "weights"))
#: The shipped default model; chosen by the backbone comparison (see weights/README.md).
DEFAULT_WEIGHTS = "mobilenet.pt"

ImageInput = str | Path | Image.Image | np.ndarray


class NoDefaultWeightsError(FileNotFoundError):
    """No ``--weights`` was given and no default model is shipped."""


def default_weights_path() -> Path:
    """The shipped default checkpoint.

    Raises:
        NoDefaultWeightsError: it is not there.
    """
    path = WEIGHTS_DIR / DEFAULT_WEIGHTS
    if not path.is_file():
        raise NoDefaultWeightsError(
            f"no default model at {path}; pass --weights FILE (a checkpoint from `ocrlite train`)"
        )
    return path


def fuse_conv_bn(module: nn.Module) -> nn.Module:
    """Fold every BatchNorm2d that directly follows a Conv2d in a Sequential into that conv (eval only).

    Gives identical outputs (up to float rounding) with fewer kernels: it roughly halves
    per-layer overhead at batch 1.
    """
    for child in module.children():
        fuse_conv_bn(child)
    if isinstance(module, nn.Sequential):
        for i in range(len(module) - 1):
            conv, bn = module[i], module[i + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                module[i] = torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
                module[i + 1] = nn.Identity()
    return module


@dataclass
class PathResult:
    """Outcome for one input path: a prediction, or the reason it failed."""

    path: str
    prediction: Prediction | None = None
    error: str | None = None


class Recognizer:
    """Text-line recognizer around a CRNN checkpoint.

    Example:
        >>> rec = Recognizer.load("weights/mobilenet.pt")             # doctest: +SKIP
        >>> [p.text for p in rec.predict(["a.png", "b.png"])]         # doctest: +SKIP
    """

    def __init__(self, model: nn.Module, charset, preprocess, device: str | torch.device = "cpu") -> None:
        self.model = model.eval()
        self.charset = charset
        self.preprocess = preprocess
        self.device = torch.device(device)
        self.decoder: dict = {"method": "greedy"}

    def set_decoder(self, method: str = "greedy", beam_width: int = 8, lexicon: frozenset[str] | None = None,
                    allow: str | None = None, block: str | None = None) -> Recognizer:
        """Choose greedy or beam decoding, a lexicon (beam only) and allowed / blocked characters.

        Raises:
            ValueError: unknown method, or characters the model cannot emit.
        """
        if method not in ("greedy", "beam"):
            raise ValueError(f"unknown decoder {method!r}; choose one of: greedy, beam")
        if beam_width < 1:
            raise ValueError(f"beam width must be ≥ 1, got {beam_width}")
        class_mask(self.charset, allow, block)  # validates the characters
        self.decoder = {"method": method, "beam_width": beam_width, "lexicon": lexicon, "allow": allow, "block": block}
        return self

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "cpu", fuse: bool = True) -> Recognizer:
        """Load a checkpoint (default: the shipped default model).

        Args:
            path: checkpoint file; ``None`` → :func:`default_weights_path`.
            device: torch device.
            fuse: fold BatchNorm into convs for faster inference (same outputs).
        """
        loaded = load_checkpoint(path if path is not None else default_weights_path(), device)
        model = fuse_conv_bn(loaded.model) if fuse else loaded.model
        return cls(model, loaded.charset, loaded.preprocess, device)

    def prepare(self, image: ImageInput) -> np.ndarray:
        """One image (path, PIL image or ``(h, w)`` uint8 array) → normalised ``(H, W)`` float32."""
        if isinstance(image, (str, Path)):
            image = load_gray(image)
        return prepare(image, self.preprocess)

    @torch.inference_mode()
    def predict_prepared(self, batch: list[np.ndarray]) -> list[Prediction]:
        """Recognise already-prepared images as one padded batch."""
        array, widths = collate_images(batch)
        logits = self.model(torch.from_numpy(array).to(self.device))  # (B, T, K)
        lengths = [self.model.output_length(w) for w in widths]
        return decode(logits, self.charset, lengths, **self.decoder)

    def predict(self, images: Sequence[ImageInput], batch_size: int = 32) -> list[Prediction]:
        """Recognise line images; returns one :class:`Prediction` per input, in input order.

        Raises:
            ImageLoadError / ImageTooWideError: for the first unusable input (use
            :meth:`predict_paths` to keep going past bad files).
        """
        prepared = [self.prepare(im) for im in images]
        return self._predict_sorted(prepared, batch_size)

    def _predict_sorted(self, prepared: list[np.ndarray], batch_size: int) -> list[Prediction]:
        order = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[1])
        out: list[Prediction | None] = [None] * len(prepared)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            for i, pred in zip(idx, self.predict_prepared([prepared[i] for i in idx])):
                out[i] = pred
        return out  # type: ignore[return-value]

    def predict_paths(self, paths: Sequence[str], batch_size: int = 32, chunk: int = 2048) -> Iterator[PathResult]:
        """Recognise image files, yielding results in input order; bad files yield an error, not an exception.

        Inputs are handled ``chunk`` at a time so memory stays bounded for any number of files.
        """
        for start in range(0, len(paths), chunk):
            results = [PathResult(p) for p in paths[start : start + chunk]]
            good: list[int] = []
            prepared: list[np.ndarray] = []
            for i, r in enumerate(results):
                try:
                    prepared.append(self.prepare(r.path))
                    good.append(i)
                except (ImageLoadError, ImageTooWideError, ValueError) as err:
                    r.error = str(err)
            for i, pred in zip(good, self._predict_sorted(prepared, batch_size)):
                results[i].prediction = pred
            yield from results
