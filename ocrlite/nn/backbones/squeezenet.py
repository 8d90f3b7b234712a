"""SqueezeNet for text lines: Fire modules and late downsampling.

Iandola et al., 2016 (v1.1 layout). A Fire module squeezes with 1×1 convs, then expands
with parallel 1×1 and 3×3 convs whose outputs are concatenated. As in v1.1, the stem and
one max-pool halve height and width early (W/4); every later pool halves height only.
BatchNorm is added after each conv: SqueezeNet without it trains poorly under CTC.
"""

from __future__ import annotations

import torch
from torch import nn

from ocrlite.nn.backbones.base import BACKBONES, Backbone, ConvBNAct, init_weights, make_divisible

# (squeeze, expand) channels per Fire module; "pool" halves height only.  SqueezeNet 1.1.
SQUEEZENET_TABLE: list[tuple[int, int] | str] = [
    (16, 64), (16, 64), "pool",
    (32, 128), (32, 128), "pool",
    (48, 192), (48, 192), (64, 256), (64, 256), "pool",
]


class Fire(nn.Module):
    """``(B, C, H, W) → (B, 2·expand, H, W)``: squeeze 1×1, then concat(expand 1×1, expand 3×3)."""

    def __init__(self, in_channels: int, squeeze: int, expand: int) -> None:
        super().__init__()
        self.squeeze = ConvBNAct(in_channels, squeeze, 1)
        self.expand1x1 = ConvBNAct(squeeze, expand, 1)
        self.expand3x3 = ConvBNAct(squeeze, expand, 3)
        self.out_channels = 2 * expand

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(x)
        return torch.cat([self.expand1x1(s), self.expand3x3(s)], dim=1)


class SqueezeNetBackbone(Backbone):
    """SqueezeNet 1.1 adapted to text lines.

    Args:
        in_channels: input channels (1 or 3).
        width_mult: multiplies every channel count.
    """

    def __init__(self, in_channels: int = 1, width_mult: float = 1.0) -> None:
        super().__init__()
        channels = make_divisible(64 * width_mult)
        layers: list[nn.Module] = [
            ConvBNAct(in_channels, channels, 3, stride=(2, 2)),           # H/2, W/2
            nn.MaxPool2d(kernel_size=3, stride=(2, 2), padding=1),        # H/4, W/4
        ]
        for row in SQUEEZENET_TABLE:
            if row == "pool":
                layers.append(nn.MaxPool2d(kernel_size=(3, 1), stride=(2, 1), padding=(1, 0)))
                continue
            squeeze, expand = row
            fire = Fire(channels, make_divisible(squeeze * width_mult), make_divisible(expand * width_mult))
            layers.append(fire)
            channels = fire.out_channels
        self.features = nn.Sequential(*layers)
        self.out_channels = channels
        init_weights(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)  # (B, C, H/32, W/4)


@BACKBONES.register("squeezenet")
def squeezenet(*, in_channels: int = 1, width_mult: float = 1.0) -> SqueezeNetBackbone:
    """SqueezeNet 1.1 (Fire modules), default width ×1.0."""
    return SqueezeNetBackbone(in_channels, width_mult)
