"""Word boxes of a read line, from the CTC alignment and the ink of its crop.

CTC places each character at a short run of frames near the character's centre, not over its whole
glyph, so the alignment alone gives a word's *position* but not its edges. A word's box is therefore
found in two steps, in the coordinates of the line's crop (its ink: Otsu's threshold, scan specks and
the rows of rulings or neighbouring lines removed):

1. **Boundaries from the alignment**: between two words, the boundary is the middle of the longest run
   of least-inked columns between the last character of one and the first of the next (their runs'
   centres) — the gap between them, or, where italics overhang, the thinnest contact. The line's outer
   words reach at most 1.2 character pitches past their outer characters.
2. **Edges from the ink**: each word shrinks from its boundaries to its first and last inked columns,
   and its top and bottom to the inked rows between them.

The crop's corners are mapped back to the page by the crop's homography (the inverse of the warp that
cut it out), so a word box on a skewed or turned page is a rotated quadrilateral like its line's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: How far the first and last words of a line may reach past their outer characters' runs, in character
#: pitches (a wide capital; not the neighbour column's text inside the crop's margin).
OUTER_PITCHES = 1.2


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
        return corners_bbox(self.corners)


def corners_bbox(corners: np.ndarray, size: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` whole pixels around ``corners`` ``(4, 2)``, inside the page when ``size`` (w, h) is
    known; at least one pixel wide and tall."""
    x0, y0 = np.floor(np.asarray(corners, np.float64).min(0))
    x1, y1 = np.ceil(np.asarray(corners, np.float64).max(0))
    if size and size[0] > 0 and size[1] > 0:
        x0, x1 = np.clip([x0, x1], 0, size[0])
        y0, y1 = np.clip([y0, y1], 0, size[1])
    return int(x0), int(y0), int(max(x1, x0 + 1)), int(max(y1, y0 + 1))


def line_ink(crop: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The ink of a line's crop (specks removed) limited to the line's own rows, and those rows'
    ``(top, bottom)``: what :func:`locate_words` and :func:`locate_baseline` both work from."""
    ink = drop_specks(ink_mask(crop))
    top, bottom = text_rows(ink)  # the line's own rows: not a ruling or the next line's descenders
    ink[:top] = False
    ink[bottom:] = False
    return ink, top, bottom


def locate_line(text: str, confidences: list[float], char_columns: list[tuple[float, float]], crop: np.ndarray,
                crop_to_page: np.ndarray) -> tuple[list[Word], np.ndarray | None]:
    """A read line's words (:func:`locate_words`) and baseline (:func:`locate_baseline`), its ink found once."""
    if not text.strip() or crop.ndim != 2 or crop.size == 0:
        return [], None
    ink = line_ink(crop)
    return (locate_words(text, confidences, char_columns, crop, crop_to_page, ink),
            locate_baseline(crop, crop_to_page, ink))


def ink_mask(crop: np.ndarray) -> np.ndarray:
    """``(h, w)`` bool: the crop's ink (Otsu's threshold, on the side away from the background)."""
    if crop.size == 0 or int(crop.max()) == int(crop.min()):
        return np.zeros(crop.shape, bool)
    threshold, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    light_background = float(np.median(border)) >= threshold
    return crop <= threshold if light_background else crop > threshold


def drop_specks(ink: np.ndarray) -> np.ndarray:
    """``ink`` without the specks of scan noise: connected pieces smaller than a full stop of the line's
    size (``(height / 12)²`` pixels, at least 3), which would otherwise widen a word into the gap beside it."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if count <= 1:
        return ink
    smallest = max(3.0, (ink.shape[0] / 12.0) ** 2)
    keep = stats[:, cv2.CC_STAT_AREA] >= smallest
    keep[0] = False
    return keep[labels]


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
                 crop_to_page: np.ndarray, ink: tuple[np.ndarray, int, int] | None = None) -> list[Word]:
    """The words of one read line with their boxes on the page.

    Args:
        text: the line's text; confidences: one per character.
        char_columns: per character, the crop columns ``(x0, x1)`` of its CTC run (see
            :class:`ocrlite.pages.long_lines.CropReading`); without them (empty) no words are given.
        crop: ``(h, w)`` uint8, the line as it was read (upright).
        crop_to_page: ``(3, 3)`` homography from crop pixels to page pixels.
        ink: the crop's :func:`line_ink`, when already found.

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
    ink, top, bottom = ink if ink is not None else line_ink(crop)
    column_ink = ink.sum(0)
    bounds = [max(0.0, centres[spans[0][0]] - OUTER_PITCHES * pitch)]
    for (_, end_before), (start_after, _) in zip(spans, spans[1:]):
        bounds.append(_emptiest(column_ink, centres[end_before - 1], centres[start_after]))
    bounds.append(min(float(w), centres[spans[-1][1] - 1] + OUTER_PITCHES * pitch))
    words = []
    for k, (start, end) in enumerate(spans):
        lo, hi = int(np.floor(bounds[k])), int(np.ceil(bounds[k + 1]))
        inked = np.nonzero(column_ink[lo:hi] > 0)[0]
        if inked.size:
            x0, x1 = float(lo + inked[0]), float(lo + inked[-1] + 1)
        else:  # no ink between its neighbours (a faint word): around its characters' runs
            x0 = max(0.0, centres[start] - 0.5 * pitch)
            x1 = min(float(w), centres[end - 1] + 0.5 * pitch)
        rows = np.nonzero(ink[:, int(x0):max(int(x0) + 1, int(np.ceil(x1)))].sum(1) > 0)[0]
        y0, y1 = (float(rows[0]), float(rows[-1] + 1)) if rows.size else (float(top), float(bottom))
        quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
        corners = cv2.perspectiveTransform(quad[None], crop_to_page.astype(np.float64))[0]
        words.append(Word(text[start:end], corners, float(np.mean(confidences[start:end]))))
    return words


def _emptiest(column_ink: np.ndarray, after: float, before: float) -> float:
    """The boundary between two words: the middle of the longest run of the least-inked columns between the
    last character of one (its run's centre at column ``after``) and the first of the next (``before``)."""
    lo, hi = int(np.ceil(after)), int(np.floor(before)) + 1
    if hi <= lo:
        return (after + before) / 2
    values = column_ink[lo:hi]
    least = values == values.min()
    best_start, best_len, run_start = lo, 0, None
    for i, flag in enumerate(np.append(least, False)):
        if flag and run_start is None:
            run_start = i
        elif not flag and run_start is not None:
            if i - run_start > best_len:
                best_start, best_len = lo + run_start, i - run_start
            run_start = None
    return best_start + best_len / 2


def locate_baseline(crop: np.ndarray, crop_to_page: np.ndarray,
                    ink: tuple[np.ndarray, int, int] | None = None) -> np.ndarray | None:
    """The line's baseline — where its letters sit, above their descenders — as ``(2, 2)`` page points at the
    crop's left and right ends; None for a crop with no ink.

    Per inked column of the line's own rows, its lowest ink; the baseline is a straight fit through the
    lower half of those (robustly: most columns are letters without descenders, so their bottoms are the
    baseline, and the fit is weighted to the median rather than to the g, p, y that reach below it).
    """
    if crop.ndim != 2 or crop.size == 0:
        return None
    ink, top, bottom = ink if ink is not None else line_ink(crop)
    band = ink[top:bottom]
    columns = np.nonzero(band.any(0))[0]
    if columns.size < 3:
        return None
    lowest = top + band.shape[0] - 1 - np.argmax(band[::-1, columns], axis=0)  # last inked row per column
    level = float(np.median(lowest))
    near = np.abs(lowest - level) <= max(1.0, 0.08 * (bottom - top))  # drop descenders and raised marks
    xs, ys = columns[near].astype(np.float64), lowest[near].astype(np.float64) + 1.0
    slope, offset = (np.polyfit(xs, ys, 1) if xs.size >= 2 and np.ptp(xs) > 0 else (0.0, level + 1.0))
    w = crop.shape[1]
    ends = np.array([[0.0, offset], [float(w), offset + slope * w]])
    return cv2.perspectiveTransform(ends[None], crop_to_page.astype(np.float64))[0]
