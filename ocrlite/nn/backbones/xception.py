"""Xception for text lines: depthwise-separable convs in residual blocks.

Chollet, 2017. Entry flow: two plain convs, then residual blocks of separable convs whose
skip is a strided 1×1 projection and whose main path ends in a strided 3×3 max-pool.
Middle flow: identity-skip blocks of three separable convs (ImageNet repeats 8; text lines
need fewer). Exit flow: one more projection block and two separable convs.
"""

from __future__ import annotations

import torch
from torch import nn

from ocrlite.nn.backbones.base import BACKBONES, Backbone, ConvBNAct, Stride, init_weights, make_divisible


class SeparableConv(nn.Sequential):
    """3×3 depthwise then 1×1 pointwise conv, then BatchNorm (Xception's 'SeparableConv')."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )


class XceptionBlock(nn.Module):
    """Residual block of ``reps`` (ReLU → SeparableConv) layers.

    With ``stride != (1, 1)`` or a channel change, the main path ends in a 3×3 max-pool and
    the skip is a strided 1×1 conv + BN; otherwise the skip is the identity.
    """

    def __init__(
        self, in_channels: int, out_channels: int, reps: int, stride: Stride, relu_first: bool = True
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for i in range(reps):
            if i > 0 or relu_first:
                # Not in-place on the first layer: the skip still needs the block's input.
                layers.append(nn.ReLU(inplace=i > 0))
            layers.append(SeparableConv(channels, out_channels))
            channels = out_channels
        if stride != (1, 1):
            layers.append(nn.MaxPool2d(3, stride=stride, padding=1))
        self.main = nn.Sequential(*layers)
        if stride != (1, 1) or in_channels != out_channels:
            self.skip: nn.Module = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        else:
            self.skip = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + self.skip(x)


class XceptionBackbone(Backbone):
    """A small Xception adapted to text lines.

    Args:
        in_channels: input channels (1 or 3).
        width_mult: multiplies every channel count (1.0 = 32·64·128·256·728 like ImageNet's entry flow,
            but with a 384-wide middle flow).
        middle_repeats: number of middle-flow blocks (ImageNet: 8).
    """

    def __init__(self, in_channels: int = 1, width_mult: float = 0.5, middle_repeats: int = 4) -> None:
        super().__init__()
        c = [make_divisible(v * width_mult) for v in (32, 64, 128, 256, 384, 512, 640)]
        self.entry = nn.Sequential(
            ConvBNAct(in_channels, c[0], 3, stride=(2, 2)),            # H/2, W/2
            ConvBNAct(c[0], c[1], 3),
            XceptionBlock(c[1], c[2], 2, (2, 2), relu_first=False),   # H/4, W/4
            XceptionBlock(c[2], c[3], 2, (2, 1)),                       # H/8
            XceptionBlock(c[3], c[4], 2, (2, 1)),                       # H/16
        )
        self.middle = nn.Sequential(*[XceptionBlock(c[4], c[4], 3, (1, 1)) for _ in range(middle_repeats)])
        self.exit = nn.Sequential(
            XceptionBlock(c[4], c[5], 2, (2, 1)),                       # H/32
            SeparableConv(c[5], c[6]),
            nn.ReLU(inplace=True),
        )
        self.out_channels = c[6]
        init_weights(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.exit(self.middle(self.entry(x)))  # (B, C, H/32, W/4)


@BACKBONES.register("xception")
def xception(*, in_channels: int = 1, width_mult: float = 0.5, middle_repeats: int = 4) -> XceptionBackbone:
    """Mini Xception (entry / middle / exit flows), default width ×0.5 and 4 middle blocks."""
    return XceptionBackbone(in_channels, width_mult, middle_repeats)
