"""Split a learned detector's box that holds several stacked lines into one box per line.

Small, tightly spaced lines — a receipt's header of address, phone and tax number in a small font —
can run together in the detector's probability map at the scale it reads a page, and come out as one
box two or three lines tall, which the line recognizer reads as garbage. Such a box is recognised by
its ink (:mod:`ocrlite.pages.words`): cut out upright, its glyphs (the classic finder's
:func:`~ocrlite.pages.finder.glyph_height`) are much shorter than the box, and its row profile empties
out between them; it is then cut at those empty rows, as the classic finder cuts its own tall boxes
(:func:`~ocrlite.pages.finder.split_tall`). Each line keeps the columns its own ink spans, with a margin
like the detector's around it.
"""

from __future__ import annotations

import cv2
import numpy as np

from ocrlite.pages.finder import glyph_height, split_tall
from ocrlite.pages.words import drop_specks, ink_mask

#: A box is looked at only when it is at least this many glyph heights tall (one line with its
#: accents and descenders stays below it).
STACKED_HEIGHTS = 2.2
#: Margin around a split line's ink, as a fraction of its ink height (the detector's boxes hold their
#: text with about this much around it).
LINE_MARGIN = 0.2


def split_stacked(crop: np.ndarray, crop_to_page: np.ndarray) -> list[np.ndarray]:
    """The page corners of each line stacked in ``crop``; empty when it holds one line.

    Args:
        crop: ``(h, w)`` uint8, the box cut out upright (text along its rows).
        crop_to_page: ``(3, 3)`` homography from crop pixels to page pixels.

    Returns:
        ``(4, 2)`` float32 corners per line, top to bottom in the crop, clockwise from the crop's top-left.
    """
    if crop.ndim != 2 or crop.size == 0:
        return []
    ink = drop_specks(ink_mask(crop))
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if count <= 2:
        return []
    glyph = glyph_height(stats)
    h, w = crop.shape
    if glyph <= 0 or h < STACKED_HEIGHTS * glyph:
        return []
    pieces = [p for p in split_tall(np.array([0, 0, w, h]), ink, glyph) if p[3] - p[1] >= 0.5 * glyph]
    if len(pieces) < 2:
        return []
    lines = []
    for _, y0, _, y1 in pieces:
        columns = np.flatnonzero(ink[y0:y1].any(axis=0))
        margin = LINE_MARGIN * (y1 - y0)
        x0, x1 = max(0.0, columns[0] - margin), min(float(w), columns[-1] + 1 + margin)
        top, bottom = max(0.0, y0 - margin), min(float(h), y1 + margin)
        quad = np.array([[[x0, top], [x1, top], [x1, bottom], [x0, bottom]]], np.float64)
        lines.append(cv2.perspectiveTransform(quad, crop_to_page.astype(np.float64))[0].astype(np.float32))
    return lines
