"""MobileNet v2 for text lines: inverted residuals with linear bottlenecks.

Sandler et al., 2018. Expand with a 1×1 conv (ReLU6), filter with a 3×3 depthwise conv
(ReLU6), project back with a linear 1×1 conv; add the input when shapes match.
"""

from __future__ import annotations

import torch
from torch import nn

from ocrlite.nn.backbones.base import BACKBONES, Backbone, ConvBNAct, Stride, init_weights, make_divisible

# t (expansion), c (channels), n (repeats), s (stride of the first repeat) — torchvision's
# ImageNet table with the width stride dropped after the first two downsamplings.
MOBILENET_V2_TABLE: list[tuple[int, int, int, Stride]] = [
    (1, 16, 1, (1, 1)),
    (6, 24, 2, (2, 2)),
    (6, 32, 3, (2, 1)),
    (6, 64, 4, (2, 1)),
    (6, 96, 3, (1, 1)),
    (6, 160, 3, (2, 1)),
    (6, 320, 1, (1, 1)),
]


class InvertedResidual(nn.Module):
    """1×1 expand → 3×3 depthwise → 1×1 linear projection, with a skip at stride 1."""

    def __init__(self, in_channels: int, out_channels: int, stride: Stride, expand_ratio: int) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == (1, 1) and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(in_channels, hidden, 1, act=nn.ReLU6))
        layers += [
            ConvBNAct(hidden, hidden, 3, stride=stride, groups=hidden, act=nn.ReLU6),
            ConvBNAct(hidden, out_channels, 1, act=None),  # linear bottleneck
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.use_residual else out


class MobileNetV2Backbone(Backbone):
    """MobileNet v2 adapted to text lines.

    Args:
        in_channels: input channels (1 or 3).
        width_mult: multiplies every channel count.
        last_channels: channels of the final 1×1 conv (ImageNet uses 1280; text lines need far fewer).
    """

    def __init__(self, in_channels: int = 1, width_mult: float = 0.75, last_channels: int = 384) -> None:
        super().__init__()
        channels = make_divisible(32 * width_mult)
        layers: list[nn.Module] = [ConvBNAct(in_channels, channels, 3, stride=(2, 2), act=nn.ReLU6)]
        for t, c, n, s in MOBILENET_V2_TABLE:
            out = make_divisible(c * width_mult)
            for i in range(n):
                layers.append(InvertedResidual(channels, out, s if i == 0 else (1, 1), t))
                channels = out
        layers.append(ConvBNAct(channels, last_channels, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.out_channels = last_channels
        init_weights(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)  # (B, last_channels, H/32, W/4)


@BACKBONES.register("mobilenet_v2")
def mobilenet_v2(*, in_channels: int = 1, width_mult: float = 0.75, last_channels: int = 384) -> MobileNetV2Backbone:
    """MobileNet v2 (inverted residuals, linear bottlenecks), default width ×0.75."""
    return MobileNetV2Backbone(in_channels, width_mult, last_channels)
