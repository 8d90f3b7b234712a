"""Find the rows a line's text occupies, so a loosely cropped line can be cut down to them.

A recognizer reads text at the scale it has: a line crop with generous space above and below (a
detector's loose box, a hand-drawn selection, a font with tall line metrics) leaves the letters a
third of the model's 32 rows, where they blur into each other. Cutting the crop to the text band
first puts every line at about the same letter size, as a tight detector box would.

The band is found from the letters, not from an ink row profile, so that a speck, a table rule or
a fragment of the neighbouring line does not stretch it and a lone descender or accent is not cut:

1. binarise (Otsu; the polarity is the one that makes the border background), grown by a pixel so
   dot-matrix dots and broken strokes join into letters;
2. connected components; drop rules (wider than half the line and thinner than a quarter of it);
3. the *core*: of the runs of rows holding at least 30 % of the densest row's ink, the one with the
   most ink (the x-height of mixed text, the cap height of capitals);
4. every component that overlaps the core is a letter of this line; a component lying wholly just
   above or below the core (an i's dot, an accent, a quote, a superscript) belongs to it too; a
   neighbour line's letters, whose bodies are outside the window, do not;
5. if those letters hold under 60 % of the crop's ink, there is no single line to cut to: no band;
6. the band is the letters' extent plus 15 % margin. Crops that are already tight (the band covers
   85 % of the rows or more), blank or low-contrast crops, and crops without a clear core are left
   alone: :func:`text_band` returns ``None``.

It only ever removes blank-ish rows above and below the line; it never cuts into the letters it found.
"""

from __future__ import annotations

import cv2
import numpy as np

#: A band covering at least this share of the rows is not worth cutting (and resampling) for.
TIGHT_SHARE = 0.85
#: Margin added above and below the letters, as a share of their height.
MARGIN = 0.15
#: Rows with at least this share of the densest row's ink form the core.
CORE_SHARE = 0.3
#: How far above / below the core a separate mark (dot, accent, quote) may lie, in core heights.
MARK_ABOVE, MARK_BELOW = 1.0, 0.8
#: The band must hold at least this share of the crop's ink (rules aside), or the crop is left alone.
MIN_INK_SHARE = 0.6
#: Mean grey-level difference between ink and paper under which a crop holds no readable ink.
MIN_CONTRAST = 24


def background_level(gray: np.ndarray) -> float:
    """Median of the border pixels of ``(H, W)`` ``gray``: the paper's level (and the value a line is padded with)."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(border))


def ink_mask(gray: np.ndarray) -> np.ndarray | None:
    """``(H, W)`` uint8 grayscale → ``(H, W)`` uint8 0/1 ink mask, or ``None`` for a blank crop.

    Otsu's threshold splits ink from paper; the side the border pixels fall on is the paper, so
    light text on a dark ground works as well as dark on light. A crop whose two sides differ by
    less than ``MIN_CONTRAST`` grey levels on average (paper and noise) has no ink.
    """
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    ink = gray <= threshold if background_level(gray) > threshold else gray > threshold
    if not ink.any() or ink.all() or abs(float(gray[ink].mean()) - float(gray[~ink].mean())) < MIN_CONTRAST:
        return None
    return ink.astype(np.uint8)


def text_band(gray: np.ndarray) -> tuple[int, int] | None:
    """Rows ``(top, bottom)`` (bottom exclusive) holding the line's text with a margin, or ``None``.

    ``None`` means: keep the crop as it is (already tight, blank, low contrast, or no clear line).

    Args:
        gray: ``(H, W)`` uint8 grayscale line crop.
    """
    h, w = gray.shape
    if gray.dtype != np.uint8 or h < 12 or w < 4:
        return None
    ink = ink_mask(gray)
    if ink is None:
        return None
    # One pixel of growth joins dot-matrix dots and strokes broken by a scan into their letters.
    ink = cv2.dilate(ink, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    tops, heights = stats[1:, cv2.CC_STAT_TOP], stats[1:, cv2.CC_STAT_HEIGHT]
    widths, areas = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_AREA]
    marks = (areas >= 2) & ~((widths > 0.5 * w) & (heights < 0.25 * h))  # not specks, not rules
    if not marks.any():
        return None
    keep = np.zeros(count, bool)
    keep[1:] = marks
    profile = keep[labels].sum(axis=1)
    core_top, core_bottom = _core(profile)
    core_h = core_bottom - core_top
    if core_h < 2:
        return None
    bottoms = tops + heights
    letters = marks & (tops < core_bottom) & (bottoms > core_top)
    near = marks & (tops >= core_top - MARK_ABOVE * core_h) & (bottoms <= core_bottom + MARK_BELOW * core_h)
    members = letters | near
    if areas[members].sum() < MIN_INK_SHARE * areas[marks].sum():
        return None  # most of the ink is elsewhere: no single line to cut to
    top, bottom = int(tops[members].min()), int(bottoms[members].max())
    margin = int(round(MARGIN * (bottom - top))) + 1
    top, bottom = max(0, top - margin), min(h, bottom + margin)
    if bottom - top >= TIGHT_SHARE * h or bottom - top < 4:
        return None
    return top, bottom


def _core(profile: np.ndarray) -> tuple[int, int]:
    """Rows ``(top, bottom)`` of the run of dense rows (≥ ``CORE_SHARE`` of the densest) holding the most ink.

    The most ink, not the densest row: a row of i-dots can be denser than the stems under it.
    """
    dense = np.concatenate([[False], profile >= CORE_SHARE * profile.max(), [False]])
    edges = np.flatnonzero(np.diff(dense.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    masses = [profile[a:b].sum() for a, b in zip(starts, ends)]
    best = int(np.argmax(masses))
    return int(starts[best]), int(ends[best])


def trim_to_text(gray: np.ndarray) -> np.ndarray:
    """``(H, W)`` uint8 → the rows of :func:`text_band` (a view), or ``gray`` itself when it returns ``None``."""
    band = text_band(gray)
    return gray if band is None else gray[band[0]:band[1]]
