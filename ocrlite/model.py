"""CRNN = backbone → 2-layer BiLSTM neck → linear CTC head.

The model returns raw logits ``(B, T, K)`` in train and eval mode alike (K = charset size + 1,
blank = class 0); decoding lives in :mod:`ocrlite.decode`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from ocrlite.backbones import Backbone, build_backbone


@dataclass
class ModelConfig:
    """Everything needed to rebuild a CRNN; stored verbatim in checkpoints.

    Attributes:
        backbone: a name from :func:`ocrlite.backbones.list_backbones`.
        num_classes: charset size + 1 (the CTC blank is class 0).
        backbone_kwargs: architecture knobs passed to the backbone builder (e.g. ``width_mult``).
        in_channels: 1 (grayscale) or 3.
        hidden_size: hidden units per direction of each BiLSTM layer.
        num_layers: BiLSTM layers.
    """

    backbone: str
    num_classes: int
    backbone_kwargs: dict[str, Any] = field(default_factory=dict)
    in_channels: int = 1
    hidden_size: int = 96
    num_layers: int = 2

    def __post_init__(self) -> None:
        if not isinstance(self.num_classes, int) or not 2 <= self.num_classes <= 100_000:
            raise ValueError(f"num_classes must be an integer in 2..100000, got {self.num_classes!r}")
        for name, low, high in (("in_channels", 1, 4), ("hidden_size", 1, 4096), ("num_layers", 1, 16)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}")
        if not isinstance(self.backbone_kwargs, dict):
            raise ValueError(f"backbone_kwargs must be a mapping, got {type(self.backbone_kwargs).__name__}")
        for key, value in self.backbone_kwargs.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                low_ok = value > 0 if ("mult" in key or "width" in key or "channels" in key) else value >= 0
                if not (low_ok and value < 1e4):
                    raise ValueError(f"backbone_kwargs {key}={value!r} is out of range")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class BiLSTMNeck(nn.Module):
    """``(B, C, 1, T) → (B, T, 2·hidden)``: a stacked bidirectional LSTM over the width axis."""

    def __init__(self, in_channels: int, hidden_size: int, num_layers: int = 2) -> None:
        super().__init__()
        self.lstm = nn.LSTM(in_channels, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True)
        self.out_channels = 2 * hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq = x.squeeze(2).permute(0, 2, 1)  # (B, C, 1, T) → (B, T, C)
        out, _ = self.lstm(seq)               # (B, T, 2·hidden)
        return out


class CTCHead(nn.Module):
    """``(B, T, C) → (B, T, K)`` logits; never softmaxes."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_channels, num_classes)
        self.out_channels = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class CRNN(nn.Module):
    """Backbone + BiLSTM + CTC head.

    Args:
        backbone: any :class:`~ocrlite.backbones.base.Backbone`.
        hidden_size: BiLSTM hidden units per direction.
        num_layers: BiLSTM layers.
        num_classes: K, including the blank at index 0.
    """

    def __init__(self, backbone: Backbone, hidden_size: int, num_layers: int, num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = BiLSTMNeck(backbone.out_channels, hidden_size, num_layers)
        self.head = CTCHead(self.neck.out_channels, num_classes)

    def output_length(self, width: int) -> int:
        """CTC time steps for an input ``width`` columns wide (``width // 4``)."""
        return self.backbone.output_length(width)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``images: (B, C, H, W)`` normalised → logits ``(B, W // 4, K)``."""
        return self.head(self.neck(self.backbone(images)))


def build_model(config: ModelConfig) -> CRNN:
    """Build a randomly initialised CRNN from ``config``."""
    backbone = build_backbone(config.backbone, in_channels=config.in_channels, **config.backbone_kwargs)
    return CRNN(backbone, config.hidden_size, config.num_layers, config.num_classes)


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (trainable or not)."""
    return sum(p.numel() for p in model.parameters())
