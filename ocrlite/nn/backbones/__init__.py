"""Registry of text-line backbones.

    >>> from ocrlite.nn.backbones import list_backbones, build_backbone
    >>> list_backbones()
    ['squeezenet', 'mobilenet', 'mobilenet_v2', 'shufflenet', 'xception']
    >>> net = build_backbone("mobilenet", in_channels=1, width_mult=0.5)
"""

from __future__ import annotations

from ocrlite.nn.backbones.base import BACKBONES, Backbone

# Importing the modules registers them, in this order.
from ocrlite.nn.backbones import squeezenet, mobilenet, mobilenet_v2, shufflenet, xception  # noqa: F401


def list_backbones() -> list[str]:
    """Names accepted by :func:`build_backbone`."""
    return BACKBONES.names()


def build_backbone(name: str, in_channels: int = 1, **kwargs: object) -> Backbone:
    """Build the backbone registered as ``name``.

    Args:
        name: one of :func:`list_backbones`.
        in_channels: 1 (grayscale, default) or 3.
        **kwargs: architecture knobs, e.g. ``width_mult``.

    Raises:
        ValueError: unknown name (the message lists the valid ones) or bad knob values.
    """
    return BACKBONES.get(name)(in_channels=in_channels, **kwargs)


__all__ = ["BACKBONES", "Backbone", "build_backbone", "list_backbones"]
