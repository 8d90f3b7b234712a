"""Axis-aligned integer boxes and text angles of page elements, as the layout formats want them."""

from __future__ import annotations

import math

import numpy as np

from ocrlite.pages.words import corners_bbox


#: The pixel box around a quadrilateral's corners (one definition, shared with :class:`ocrlite.pages.words.Word`).
bbox = corners_bbox


def text_angle(corners: np.ndarray) -> float:
    """Degrees counter-clockwise the text of ``corners`` (edge 0 → 1 along it) is turned on the page, in [0, 360)."""
    v = np.asarray(corners, np.float64)[1] - np.asarray(corners, np.float64)[0]
    return (-math.degrees(math.atan2(v[1], v[0]))) % 360.0
