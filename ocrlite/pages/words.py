"""Word boxes of a read line, from the CTC alignment and the ink of its crop.

CTC places each character at a short run of frames near the character's centre, not over its whole
glyph, so the alignment alone gives a word's *position* but not its edges. A word's box is therefore
found in two steps, in the coordinates of the line's crop:

1. **From the alignment**: the word runs from half a character pitch before its first character's run
   to half a pitch after its last one (the pitch is the line's median distance between neighbouring
   characters), never past the midpoint to the neighbouring word.
2. **From the ink**: its edges move out to the end of the ink they cut through (a wide "W" or "m"),
   within those midpoints, then in to the first and last inked column; its top and bottom shrink to the
   inked rows between them.

The crop's corners are mapped back to the page by the crop's homography (the inverse of the warp that
cut it out), so a word box on a skewed or turned page is a rotated quadrilateral like its line's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: How far past its first / last character's run a word reaches, in character pitches.
HALF_PITCH = 0.6
#: A column (row) is inked when at least this many of its pixels are ink.
MIN_INK_PIXELS = 1


@dataclass
class Word:
    """One word of a line.

    Attributes:
        text: the word (no spaces).
        corners: ``(4, 2)`` page pixels, clockwise from the top-left of the word as read.
        confidence: the mean of its characters' confidences, in [0, 1].
    """

    text: str
    corners: np.ndarray
    confidence: float

    def to_dict(self) -> dict:
        return {"text": self.text, "box": [[round(float(x), 1), round(float(y), 1)] for x, y in self.corners],
                "confidence": round(self.confidence, 4)}

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """The axis-aligned ``(x0, y0, x1, y1)`` around the word's corners, whole pixels."""
        x0, y0 = np.floor(self.corners.min(0)).astype(int)
        x1, y1 = np.ceil(self.corners.max(0)).astype(int)
        return int(x0), int(y0), int(x1), int(y1)


def ink_mask(crop: np.ndarray) -> np.ndarray:
    """``(h, w)`` bool: the crop's ink (Otsu's threshold, on the side away from the background)."""
    if crop.size == 0 or int(crop.max()) == int(crop.min()):
        return np.zeros(crop.shape, bool)
    threshold, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    light_background = float(np.median(border)) >= threshold
    return crop <= threshold if light_background else crop > threshold


def text_rows(ink: np.ndarray) -> tuple[int, int]:
    """``(top, bottom)``: the run of inked rows around the crop's middle, across gaps of up to 8 % of its
    height (an accent above its letter), so a ruling or a neighbour line's edge above or below is left out."""
    h, w = ink.shape
    inked = ink.sum(1) >= max(2, 0.02 * w)
    if not inked.any():
        return 0, h
    rows = np.nonzero(inked)[0]
    middle = h / 2
    centre = int(rows[np.argmin(np.abs(rows + 0.5 - middle))])
    gap = max(1, int(round(0.08 * h)))
    top = bottom = centre
    while True:
        above = rows[(rows < top) & (rows >= top - gap - 1)]
        if not above.size:
            break
        top = int(above.min())
    while True:
        below = rows[(rows > bottom) & (rows <= bottom + gap + 1)]
        if not below.size:
            break
        bottom = int(below.max())
    return top, bottom + 1


def word_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` character indices of each maximal run of non-space characters of ``text``."""
    spans, start = [], None
    for i, ch in enumerate(text + " "):
        if ch.isspace():
            if start is not None:
                spans.append((start, i))
                start = None
        elif start is None:
            start = i
    return spans


def locate_words(text: str, confidences: list[float], char_columns: list[tuple[float, float]], crop: np.ndarray,
                 crop_to_page: np.ndarray) -> list[Word]:
    """The words of one read line with their boxes on the page.

    Args:
        text: the line's text; confidences: one per character.
        char_columns: per character, the crop columns ``(x0, x1)`` of its CTC run (see
            :class:`ocrlite.pages.long_lines.CropReading`); without them (empty) no words are given.
        crop: ``(h, w)`` uint8, the line as it was read (upright).
        crop_to_page: ``(3, 3)`` homography from crop pixels to page pixels.

    Returns:
        The words in reading order (empty if ``char_columns`` does not match ``text``).
    """
    spans = word_spans(text)
    if not spans or len(char_columns) != len(text) or crop.ndim != 2 or crop.size == 0:
        return []
    h, w = crop.shape
    centres = np.array([(a + b) / 2 for a, b in char_columns])
    steps = np.diff(centres)
    steps = steps[steps > 0]
    pitch = float(np.median(steps)) if steps.size else 0.5 * h
    ink = ink_mask(crop)
    top, bottom = text_rows(ink)  # the line's own rows: not a ruling or the next line's descenders
    ink[:top] = False
    ink[bottom:] = False
    inked_columns = ink.sum(0) >= MIN_INK_PIXELS
    words = []
    for k, (start, end) in enumerate(spans):
        lo_limit = 0.0 if k == 0 else (centres[spans[k - 1][1] - 1] + centres[start]) / 2
        hi_limit = float(w) if k == len(spans) - 1 else (centres[end - 1] + centres[spans[k + 1][0]]) / 2
        x0 = max(lo_limit, centres[start] - HALF_PITCH * pitch)
        x1 = min(hi_limit, centres[end - 1] + HALF_PITCH * pitch)
        x0, x1 = _fit_to_ink(inked_columns, x0, x1, lo_limit, hi_limit)
        rows = np.nonzero(ink[:, int(x0):max(int(x0) + 1, int(np.ceil(x1)))].sum(1) >= MIN_INK_PIXELS)[0]
        y0, y1 = (float(rows[0]), float(rows[-1] + 1)) if rows.size else (float(top), float(bottom))
        quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
        corners = cv2.perspectiveTransform(quad[None], crop_to_page.astype(np.float64))[0]
        words.append(Word(text[start:end], corners, float(np.mean(confidences[start:end]))))
    return words


def _fit_to_ink(inked: np.ndarray, x0: float, x1: float, lo_limit: float, hi_limit: float) -> tuple[float, float]:
    """``[x0, x1)`` grown to the ends of the ink it cuts (not past the limits), then shrunk to its inked columns."""
    w = inked.size
    a = int(np.clip(np.floor(x0), 0, w - 1))
    b = int(np.clip(np.ceil(x1) - 1, a, w - 1))
    lo, hi = max(0, int(np.ceil(lo_limit))), min(w - 1, int(np.floor(hi_limit)) - 1)
    while a > lo and inked[a] and inked[a - 1]:
        a -= 1
    while b < hi and inked[b] and inked[b + 1]:
        b += 1
    cols = np.nonzero(inked[a:b + 1])[0]
    if cols.size == 0:
        return x0, x1
    return float(a + cols[0]), float(a + cols[-1] + 1)


def translate_words(words: list[Word], matrix: np.ndarray) -> None:
    """Move every word's corners by the ``(2, 3)`` affine ``matrix`` (in place)."""
    for word in words:
        word.corners = np.hstack([word.corners, np.ones((4, 1))]) @ np.asarray(matrix, np.float64).T
