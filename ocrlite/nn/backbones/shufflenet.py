"""ShuffleNet (v1) for text lines: group convs and channel shuffle.

Zhang et al., 2017. A unit is 1×1 group conv → channel shuffle → 3×3 depthwise → 1×1 group
conv. At stride 1 the input is added back; when downsampling, a 3×3 average pool of the
input is concatenated instead. The stem and max-pool halve height and width (W/4); the
first unit of each stage halves height only.
"""

from __future__ import annotations

import torch
from torch import nn

from ocrlite.nn.backbones.base import BACKBONES, Backbone, ConvBNAct, Stride, init_weights, make_divisible

# Output channels of stages 2–4 for groups g (paper, Table 1), and units per stage.
STAGE_CHANNELS: dict[int, tuple[int, int, int]] = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}
STAGE_REPEATS = (4, 8, 4)


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave channels across groups: ``(B, g·c, H, W) → (B, c·g, H, W)``."""
    b, c, h, w = x.shape
    x = x.view(b, groups, c // groups, h, w)   # (B, g, c/g, H, W)
    x = x.transpose(1, 2).contiguous()          # (B, c/g, g, H, W)
    return x.view(b, c, h, w)


class ShuffleUnit(nn.Module):
    """One ShuffleNet unit; ``stride != (1, 1)`` makes it a downsampling (concat) unit."""

    def __init__(self, in_channels: int, out_channels: int, groups: int, stride: Stride, first_group: bool) -> None:
        super().__init__()
        self.downsample = stride != (1, 1)
        branch_out = out_channels - in_channels if self.downsample else out_channels
        bottleneck = out_channels // 4
        first_groups = 1 if first_group else groups  # the stem has too few channels to group
        self.groups = first_groups
        self.compress = ConvBNAct(in_channels, bottleneck, 1, groups=first_groups)
        self.depthwise = ConvBNAct(bottleneck, bottleneck, 3, stride=stride, groups=bottleneck, act=None)
        self.expand = ConvBNAct(bottleneck, branch_out, 1, groups=groups, act=None)
        self.pool = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False) if self.downsample else None
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.compress(x)
        if self.groups > 1:
            out = channel_shuffle(out, self.groups)
        out = self.expand(self.depthwise(out))
        if self.pool is not None:
            return self.relu(torch.cat([self.pool(x), out], dim=1))
        return self.relu(x + out)


class ShuffleNetBackbone(Backbone):
    """ShuffleNet v1 adapted to text lines.

    Args:
        in_channels: input channels (1 or 3).
        groups: group count of the 1×1 convs; one of 1, 2, 3, 4, 8.
        width_mult: multiplies every stage's channels (0.5 = "ShuffleNet 0.5×").
        repeats: units per stage (ImageNet: 4, 8, 4).
    """

    def __init__(
        self,
        in_channels: int = 1,
        groups: int = 3,
        width_mult: float = 0.5,
        repeats: tuple[int, int, int] = STAGE_REPEATS,
    ) -> None:
        super().__init__()
        if groups not in STAGE_CHANNELS:
            raise ValueError(f"groups must be one of {sorted(STAGE_CHANNELS)}, got {groups}")
        stem = make_divisible(24 * max(width_mult, 0.5), 4)
        self.stem = nn.Sequential(
            ConvBNAct(in_channels, stem, 3, stride=(2, 2)),               # H/2, W/2
            nn.MaxPool2d(3, stride=(2, 2), padding=1),                    # H/4, W/4
        )
        units: list[nn.Module] = []
        channels = stem
        for stage, (base, n) in enumerate(zip(STAGE_CHANNELS[groups], repeats)):
            out = make_divisible(base * width_mult, 4 * groups)
            for i in range(n):
                stride = (2, 1) if i == 0 else (1, 1)
                units.append(ShuffleUnit(channels, out, groups, stride, first_group=stage == 0 and i == 0))
                channels = out
        self.features = nn.Sequential(*units)
        self.out_channels = channels
        init_weights(self)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(self.stem(x))  # (B, C, H/32, W/4)


@BACKBONES.register("shufflenet")
def shufflenet(
    *, in_channels: int = 1, groups: int = 3, width_mult: float = 0.5, repeats: tuple[int, int, int] = STAGE_REPEATS
) -> ShuffleNetBackbone:
    """ShuffleNet v1 (g = 3), default width ×0.5."""
    return ShuffleNetBackbone(in_channels, groups, width_mult, tuple(repeats))
