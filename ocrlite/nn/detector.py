"""The learned line detector: DB (Differentiable Binarization, Liao et al. 2020) on a light 2-D backbone.

``(B, 1, H, W)`` grayscale page (H, W multiples of 32) → backbone stages at strides 4, 8, 16, 32 →
a small feature pyramid (top-down sums, then all levels upsampled to 1/4 and concatenated) → DB head:
a **probability map** (is this pixel inside a shrunk text line) and a **threshold map** (the learned
binarisation threshold near line borders), each ``(B, 1, H/2, W/2)``. The head upsamples the 1/4
features once (DB upsamples twice, to 1/1): at 1/4 a small printed line's shrunk kernel is one or two
cells tall and neighbouring lines merge; 1/2 keeps them apart at a quarter of full resolution's cost.

At inference only the probability map is used (:mod:`ocrlite.pages.detector` turns it into boxes,
torch-free); the threshold map and the approximate binary map ``sigmoid(k (P - T))`` exist for training.

The backbones are built from the same blocks as the line recognizers and chosen by name from
:data:`DETECTOR_BACKBONES`: ``mobilenet`` (depthwise-separable), ``mobilenet_v2`` (inverted residuals),
``shufflenet`` (shuffle units), ``squeezenet`` (Fire modules) and ``xception`` (separable residual blocks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ocrlite.nn.backbones.base import ConvBNAct, init_weights, make_divisible
from ocrlite.nn.backbones.mobilenet import DepthwiseSeparable
from ocrlite.nn.backbones.mobilenet_v2 import InvertedResidual
from ocrlite.nn.backbones.shufflenet import ShuffleUnit
from ocrlite.nn.backbones.squeezenet import Fire
from ocrlite.nn.backbones.xception import XceptionBlock
from ocrlite.utils.registry import Registry

#: Channels of the four stages (strides 4, 8, 16, 32) before ``width_mult``.
STAGE_CHANNELS = (32, 64, 128, 256)
#: Blocks per stage (the first of each downsamples).
STAGE_BLOCKS = (2, 2, 3, 2)

#: A function ``(in_channels, out_channels, downsample) -> nn.Module`` for one block of a family.
BlockFactory = Callable[[int, int, bool], nn.Module]
DETECTOR_BACKBONES: Registry[BlockFactory] = Registry("detector backbone")


@DETECTOR_BACKBONES.register("mobilenet")
def _mobilenet_block(cin: int, cout: int, down: bool) -> nn.Module:
    return DepthwiseSeparable(cin, cout, (2, 2) if down else (1, 1))


@DETECTOR_BACKBONES.register("mobilenet_v2")
def _mobilenet_v2_block(cin: int, cout: int, down: bool) -> nn.Module:
    return InvertedResidual(cin, cout, (2, 2) if down else (1, 1), expand_ratio=4)


@DETECTOR_BACKBONES.register("shufflenet")
def _shufflenet_block(cin: int, cout: int, down: bool) -> nn.Module:
    if down:  # a 1×1 to half the channels, then a downsampling unit concatenates its pooled input back
        return nn.Sequential(ConvBNAct(cin, cout // 2, 1), ShuffleUnit(cout // 2, cout, 2, (2, 2), False))
    return ShuffleUnit(cin, cout, 2, (1, 1), False)


@DETECTOR_BACKBONES.register("squeezenet")
def _squeezenet_block(cin: int, cout: int, down: bool) -> nn.Module:
    fire = Fire(cin, max(8, cout // 8), cout // 2)
    return nn.Sequential(nn.MaxPool2d(3, 2, 1), fire) if down else fire


@DETECTOR_BACKBONES.register("xception")
def _xception_block(cin: int, cout: int, down: bool) -> nn.Module:
    return XceptionBlock(cin, cout, reps=2, stride=(2, 2) if down else (1, 1))


def list_detector_backbones() -> list[str]:
    """Names accepted by :class:`DetectorConfig`'s ``backbone``."""
    return DETECTOR_BACKBONES.names()


@dataclass
class DetectorConfig:
    """The detector's architecture; stored in its checkpoints and ONNX metadata (plain types only).

    Attributes:
        backbone: one of :func:`list_detector_backbones`.
        width_mult: multiplies the stage channels :data:`STAGE_CHANNELS`.
        neck_channels: channels of each pyramid level.
        in_channels: 1 (grayscale pages).
    """

    backbone: str = "mobilenet"
    width_mult: float = 0.5
    neck_channels: int = 48
    in_channels: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StagedBackbone(nn.Module):
    """Stem (stride 2) then four stages at strides 4, 8, 16, 32 of one block family: ``(B, C, H, W)`` →
    four maps ``(B, C_i, H / s_i, W / s_i)``."""

    def __init__(self, block: BlockFactory, in_channels: int, width_mult: float) -> None:
        super().__init__()
        stem = make_divisible(16 * width_mult * 2, 8)
        self.stem = ConvBNAct(in_channels, stem, 3, stride=2)
        stages, channels = [], stem
        self.out_channels: list[int] = []
        for base, blocks in zip(STAGE_CHANNELS, STAGE_BLOCKS):
            out = make_divisible(base * width_mult, 8)
            layers = [block(channels, out, True)] + [block(out, out, False) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*layers))
            channels = out
            self.out_channels.append(out)
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features


class PyramidNeck(nn.Module):
    """FPN: 1×1 laterals, top-down sums, 3×3 smoothing; every level upsampled to 1/4 and concatenated,
    then fused by a 3×3 conv: four maps → ``(B, C, H/4, W/4)``."""

    def __init__(self, in_channels: list[int], channels: int) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(ConvBNAct(c, channels, 1) for c in in_channels)
        self.smooth = nn.ModuleList(ConvBNAct(channels, channels // 4, 3) for _ in in_channels)
        self.fuse = ConvBNAct(channels // 4 * len(in_channels), channels, 3)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        laterals = [conv(f) for conv, f in zip(self.lateral, features)]
        for i in range(len(laterals) - 1, 0, -1):
            laterals[i - 1] = laterals[i - 1] + F.interpolate(laterals[i], size=laterals[i - 1].shape[-2:], mode="nearest")
        size = laterals[0].shape[-2:]
        levels = [F.interpolate(s(x), size=size, mode="nearest") if i else s(x)
                  for i, (s, x) in enumerate(zip(self.smooth, laterals))]
        return self.fuse(torch.cat(levels, dim=1))


class MapHead(nn.Module):
    """3×3 conv → ×2 transposed conv → 1×1 conv → sigmoid: ``(B, C, H/4, W/4)`` → ``(B, 1, H/2, W/2)``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        mid = max(8, channels // 4)
        self.body = nn.Sequential(
            ConvBNAct(channels, mid, 3),
            nn.ConvTranspose2d(mid, mid, 2, stride=2, bias=False), nn.BatchNorm2d(mid), nn.ReLU(inplace=True),
            nn.Conv2d(mid, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.body(x))


class LineDetector(nn.Module):
    """DB line detector. ``forward(x)`` with ``x`` ``(B, 1, H, W)`` normalised, H and W multiples of 32.

    Returns:
        in eval mode, the probability map ``(B, 1, H/2, W/2)``; in training mode, ``(B, 3, H/2, W/2)``:
        probability, threshold and approximate binary map ``sigmoid(k (P - T))``.
    """

    #: The steepness ``k`` of the approximate binarisation (DB's 50).
    k = 50.0
    #: Input pixels per output cell.
    output_stride = 2

    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.config = config
        block = DETECTOR_BACKBONES.get(config.backbone)
        self.backbone = StagedBackbone(block, config.in_channels, config.width_mult)
        self.neck = PyramidNeck(self.backbone.out_channels, config.neck_channels)
        self.probability = MapHead(config.neck_channels)
        self.threshold = MapHead(config.neck_channels)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fused = self.neck(self.backbone(x))
        prob = self.probability(fused)
        if not self.training:
            return prob
        thresh = self.threshold(fused)
        binary = torch.sigmoid(self.k * (prob - thresh))
        return torch.cat([prob, thresh, binary], dim=1)


def build_detector(config: DetectorConfig) -> LineDetector:
    """The detector for ``config``.

    Raises:
        ValueError: an unknown backbone (the message lists the valid ones).
    """
    return LineDetector(config)


#: Checkpoint format tag of detector files (line recognizers use "ocrlite").
DETECTOR_FORMAT = "ocrlite-detector"


def detector_checkpoint(model: LineDetector, settings: dict[str, Any], extra: dict[str, Any] | None = None
                        ) -> dict[str, Any]:
    """A plain dict (tensors and primitives: loads with ``weights_only=True``) holding everything to rebuild it."""
    from ocrlite.utils.version import __version__

    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"format": DETECTOR_FORMAT, "format_version": 1, "ocrlite_version": __version__,
            "model": model.config.to_dict(), "settings": dict(settings), "state_dict": state, **(extra or {})}


def load_detector(path: str, device: str = "cpu") -> tuple[LineDetector, dict[str, Any], dict[str, Any]]:
    """Rebuild a detector from its checkpoint: ``(model in eval mode, settings, the whole dict)``.

    Raises:
        ValueError: not an ocrlite detector checkpoint, or its tensors do not fit its architecture.
    """
    try:
        ck = torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such detector checkpoint") from None
    except Exception as err:  # noqa: BLE001 - torch raises many kinds for a damaged file
        raise ValueError(f"{path}: not a readable checkpoint ({str(err).splitlines()[0][:120]})") from None
    if not isinstance(ck, dict) or ck.get("format") != DETECTOR_FORMAT:
        raise ValueError(f"{path}: not an ocrlite detector checkpoint (format {ck.get('format') if isinstance(ck, dict) else None!r})")
    known = DetectorConfig.__dataclass_fields__
    model = build_detector(DetectorConfig(**{k: v for k, v in ck["model"].items() if k in known}))
    try:
        model.load_state_dict(ck["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"{path}: its tensors do not fit a {ck['model']} detector ({str(err)[:160]})") from None
    return model.eval(), dict(ck.get("settings", {})), ck
