"""Keep batch padding out of a backbone: every spatial layer sees a line's extra columns as padding.

A line read alone is convolved with zero padding at its right edge (−∞ for max-pools, nothing
counted for average pools). In a batch, the same line is followed by background columns up to
the widest line, and every layer whose kernel is wider than one column mixes those into the
line's last outputs. While masking is on, each such layer sees the columns at or past a line's
width as the lone line's padding would be, so the line's
outputs are the same as alone, at any batch size and beside any neighbour.

:func:`install_width_mask` hooks a backbone once; :func:`width_masked` turns the masks on for a
forward pass.

Pointwise layers (1×1 convs, BatchNorm in eval mode, activations, the height average) need no
mask: a column's output depends on that column only. Widths are halved by exact stride-2 steps
(:mod:`ocrlite.nn.backbones.base`), so a layer that sees the input at 1/s of its width sees a line
of ``w`` columns as ``w / s`` columns; ``s`` is measured once per layer when the hooks are installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

_SPATIAL = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def _kernel_width(module: nn.Module) -> int:
    kernel = module.kernel_size
    return kernel[-1] if isinstance(kernel, tuple) else int(kernel)


_STRIDE = "_ocrlite_width_stride"  # set once per hooked layer: input columns per column it sees
_STATE = "_ocrlite_width_state"    # set while masking: the forward pass's shared _MaskState
_FAR_NEGATIVE = -1e30              # a max-pool's padding: never wins, and unlike −∞ gives no NaN when zeroed


class _MaskState:
    """One forward pass's widths and its column masks, built once per width level and shared by all layers.

    At batch 1 the exported graph still runs every mask, so each layer costs one elementwise op
    on a mask made once per level (three levels: the input, 1/2 and 1/4), not its own mask.
    """

    def __init__(self, widths: torch.Tensor) -> None:
        self.widths = widths
        self.masks: dict[tuple[int, torch.dtype], torch.Tensor] = {}

    def keep(self, x: torch.Tensor, stride: int) -> torch.Tensor:
        """``(B, 1, 1, W)`` in ``x``'s dtype: 1 where column ``j < widths[b] / stride``, else 0."""
        key = (stride, x.dtype)  # one width level has one width: every layer at it shares the mask
        mask = self.masks.get(key)
        if mask is None:
            cols = torch.arange(x.shape[-1], device=x.device)  # W from x: traced, so ONNX keeps it dynamic
            mask = (cols[None, :] < (self.widths // stride)[:, None]).to(x.dtype)[:, None, None, :]
            self.masks[key] = mask
        return mask


def install_width_mask(backbone: nn.Module) -> int:
    """Hook ``backbone``'s column-mixing layers (inactive, and free, outside :func:`width_masked`).

    The hooks and their settings live on the layers themselves, so they survive ``copy.deepcopy``
    and Conv+BN fusion (:func:`ocrlite.nn.torch_engine.fuse_conv_bn` deep-copies each conv). Works for any
    backbone whose spatial layers are ``nn.Conv2d`` / ``nn.MaxPool2d`` / ``nn.AvgPool2d`` and whose width
    strides are exact halvings (every ocrlite backbone). Returns the number of hooked layers.
    """
    strides = _measure_strides(backbone)
    for module, stride in strides.items():
        setattr(module, _STRIDE, stride)
        setattr(module, _STATE, None)
        if isinstance(module, nn.AvgPool2d):
            module.register_forward_hook(_avgpool_hook)
        elif isinstance(module, nn.MaxPool2d):
            module.register_forward_pre_hook(_maxpool_pre_hook)
            module.register_forward_hook(_maxpool_hook)
        else:
            module.register_forward_pre_hook(_conv_pre_hook)
    return len(strides)


def _measure_strides(backbone: nn.Module) -> dict[nn.Module, int]:
    """Each column-mixing layer → how many input columns one of its input columns stands for."""
    layers = [m for m in backbone.modules() if isinstance(m, _SPATIAL) and _kernel_width(m) > 1]
    if not layers:
        return {}
    first_conv = next(m for m in backbone.modules() if isinstance(m, nn.Conv2d))
    seen: dict[nn.Module, int] = {}
    width = 64
    handles = [m.register_forward_pre_hook(lambda mod, args: seen.__setitem__(mod, args[0].shape[-1]))
               for m in layers]
    was_training = backbone.training
    try:
        backbone.eval()
        with torch.no_grad():
            backbone(torch.zeros(1, first_conv.in_channels, 32, width))
    finally:
        backbone.train(was_training)
        for h in handles:
            h.remove()
    return {m: width // seen[m] for m in layers if m in seen}


@contextmanager
def width_masked(backbone: nn.Module, widths: torch.Tensor) -> Iterator[None]:
    """While inside, ``backbone`` treats columns ``≥ widths[b]`` of line ``b`` as padding.

    Args:
        widths: ``(B,)`` int64 columns of each line before batch padding (multiples of 4).
    """
    state = _MaskState(widths.to(torch.long))
    hooked = [m for m in backbone.modules() if hasattr(m, _STRIDE)]
    for m in hooked:
        setattr(m, _STATE, state)
    try:
        yield
    finally:
        for m in hooked:
            setattr(m, _STATE, None)


def _conv_pre_hook(module: nn.Module, args: tuple[torch.Tensor, ...]):
    state: _MaskState | None = getattr(module, _STATE, None)
    if state is None:
        return None
    x = args[0]
    return (x * state.keep(x, getattr(module, _STRIDE)),)  # a lone line's conv pads with zeros


def _maxpool_pre_hook(module: nn.Module, args: tuple[torch.Tensor, ...]):
    state: _MaskState | None = getattr(module, _STATE, None)
    if state is None:
        return None
    x = args[0]
    return (x + (1 - state.keep(x, getattr(module, _STRIDE))) * _FAR_NEGATIVE,)  # padding never wins a max


def _width_step(module: nn.Module) -> int:
    stride = module.stride
    return stride[-1] if isinstance(stride, tuple) else int(stride)


def _maxpool_hook(module: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor):
    state: _MaskState | None = getattr(module, _STATE, None)
    if state is None:
        return None
    # Columns past the line whose whole window was padding came out far negative: zero them, so
    # that no huge value reaches BatchNorm's batch statistics in training.
    return output * state.keep(output, getattr(module, _STRIDE) * _width_step(module))


def _avgpool_hook(module: nn.AvgPool2d, args: tuple[torch.Tensor, ...], output: torch.Tensor):
    state: _MaskState | None = getattr(module, _STATE, None)
    if state is None:
        return None
    x = args[0]
    keep = state.keep(x, getattr(module, _STRIDE))                              # (B, 1, 1, W)
    pool = dict(kernel_size=module.kernel_size, stride=module.stride, padding=module.padding,
                ceil_mode=module.ceil_mode, count_include_pad=True)
    summed = F.avg_pool2d(x * keep, **pool)
    if module.count_include_pad:
        return summed
    cells = F.avg_pool2d(keep.expand(x.shape[0], 1, x.shape[2], x.shape[3]), **pool)
    # The mean over the lone line's own cells, as count_include_pad=False gives; 0 past the line (no cells).
    return summed / cells.clamp_min(1e-6) * (cells > 0).to(summed.dtype)
