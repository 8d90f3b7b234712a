"""The torch engine: load a CRNN checkpoint once, recognise many line images (pages: :class:`ocrlite.api.Recognizer`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ocrlite.recognition.charset import Charset
from ocrlite.nn.checkpoint import load_checkpoint
from ocrlite.recognition.reader import BaseRecognizer, ImageInput, PathResult  # noqa: F401  (re-exported)
from ocrlite.recognition.preprocess import PreprocessConfig
from ocrlite.recognition.zoo import default_weights_path


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


class TorchLineRecognizer(BaseRecognizer):
    """Text-line recognizer around a CRNN checkpoint (torch engine).

    Example:
        >>> rec = TorchLineRecognizer.load("weights/mobilenet.pt")             # doctest: +SKIP
        >>> [p.text for p in rec.predict(["a.png", "b.png"])]         # doctest: +SKIP
    """

    def __init__(self, model: nn.Module, charset: Charset, preprocess: PreprocessConfig,
                 device: str | torch.device = "cpu") -> None:
        super().__init__(charset, preprocess)
        self.model = model.eval()
        self.device = torch.device(device)

    @classmethod
    def load(cls, path: str | Path | None = None, device: str | torch.device = "cpu", fuse: bool = True) -> TorchLineRecognizer:
        """Load a checkpoint (default: the shipped default model).

        Args:
            path: checkpoint file; ``None`` → :func:`default_weights_path`.
            device: torch device.
            fuse: fold BatchNorm into convs for faster inference (same outputs).
        """
        if path is not None and not isinstance(path, (str, Path)):
            raise TypeError(f"expected a checkpoint path (str or Path), got {type(path).__name__}")
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError):
            raise ValueError(f"device {device!r} is not a torch device; use cpu, cuda or cuda:N") from None
        loaded = load_checkpoint(path if path is not None else default_weights_path(), device)
        model = fuse_conv_bn(loaded.model) if fuse else loaded.model
        return cls(model, loaded.charset, loaded.preprocess, device)

    @torch.inference_mode()
    def logits(self, batch: np.ndarray, widths: Sequence[int] | None = None) -> np.ndarray:
        """``(B, 1, H, W)`` and each line's own width (None: all W) → ``(B, W / 4, K)`` logits."""
        images = torch.from_numpy(batch).to(self.device)
        full = widths is None or all(w == batch.shape[-1] for w in widths)  # nothing to mask: skip the masks' cost
        lengths = None if full else torch.as_tensor(list(widths), dtype=torch.long, device=self.device)
        return self.model(images, lengths).float().cpu().numpy()
