"""Axis-aligned integer boxes and text angles of page elements, as the layout formats want them."""

from __future__ import annotations

import math

import numpy as np


def bbox(corners: np.ndarray, size: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` whole pixels around ``corners`` ``(4, 2)``, inside the page when ``size`` (w, h) is known."""
    x0, y0 = np.floor(np.asarray(corners, np.float64).min(0))
    x1, y1 = np.ceil(np.asarray(corners, np.float64).max(0))
    if size and size[0] > 0 and size[1] > 0:
        x0, x1 = np.clip([x0, x1], 0, size[0])
        y0, y1 = np.clip([y0, y1], 0, size[1])
    return int(x0), int(y0), int(max(x1, x0 + 1)), int(max(y1, y0 + 1))


def text_angle(corners: np.ndarray) -> float:
    """Degrees counter-clockwise the text of ``corners`` (edge 0 → 1 along it) is turned on the page, in [0, 360)."""
    v = np.asarray(corners, np.float64)[1] - np.asarray(corners, np.float64)[0]
    return (-math.degrees(math.atan2(v[1], v[0]))) % 360.0
