"""Shared pieces of every text-line backbone.

Contract (checked by ``tests/test_backbones.py`` for every registered name):

* input  ``(B, in_channels, H, W)`` float, H = 32 by default (48 works), W ≥ 16 and W % 4 == 0;
* output ``(B, out_channels, 1, W // 4)``: height collapsed, width kept as the CTC time axis.

Width is only ever halved twice (two stride-2 steps with ``padding = k // 2``, which maps an
even width ``w`` to exactly ``w / 2``); every other downsampling step is ``(2, 1)``, halving
height only. Whatever height is left is averaged away by :class:`HeightCollapse`, so H = 32 and
H = 48 share one network.
"""

from __future__ import annotations

import torch
from torch import nn

from ocrlite.utils.registry import Registry

Stride = tuple[int, int]


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor`` (never below 90 % of ``value``)."""
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def as_stride(stride: int | Stride) -> Stride:
    """Normalise ``2`` → ``(2, 2)``; tuples pass through."""
    return (stride, stride) if isinstance(stride, int) else stride


class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) → BatchNorm2d → optional activation, with 'same'-style padding."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int | Stride = 1,
        groups: int = 1,
        act: type[nn.Module] | None = nn.ReLU,
    ) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=as_stride(stride),
                padding=kernel_size // 2,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
        ]
        if act is not None:
            layers.append(act(inplace=True) if act in (nn.ReLU, nn.ReLU6) else act())
        super().__init__(*layers)
        self.out_channels = out_channels


class HeightCollapse(nn.Module):
    """``(B, C, H, T) → (B, C, 1, T)`` by averaging over the rows that are left."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=2, keepdim=True)


class Backbone(nn.Module):
    """Base class: subclasses build ``self.features`` and set ``self.out_channels``.

    Attributes:
        out_channels: channels D of the output feature map.
        width_stride: input columns per output time step (always 4).
    """

    out_channels: int
    width_stride: int = 4

    def __init__(self) -> None:
        super().__init__()
        self.collapse = HeightCollapse()

    def output_length(self, width: int) -> int:
        """Number of CTC time steps T for an input of ``width`` columns."""
        return width // self.width_stride

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) → (B, D, H', W/4)``; implemented by subclasses."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (B, C, H, W)`` → ``(B, out_channels, 1, W // 4)``."""
        return self.collapse(self.forward_features(x))


def init_weights(module: nn.Module) -> None:
    """Kaiming-normal convs, unit BatchNorm, small linear layers (torchvision's recipe)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


#: Backbone builders by name; each backbone module registers itself with ``@BACKBONES.register(name)``.
BACKBONES: Registry[Backbone] = Registry("backbone")
