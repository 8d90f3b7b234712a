"""Split a read line at gaps much wider than its own word spaces: a table row into its cells.

A learned detector draws one box over a run of text that its training called a line; on a receipt or a
table the same row often holds fields far apart (``1   X   8.02``, ``QTY  PRICE  AMOUNT``), which a
reader wants as separate lines — annotated so in ICDAR-style page sets, read as cells by users, and the
classic finder cuts them too (:func:`ocrlite.pages.finder._split_gaps`). After a line is read, its words
have boxes on the page (:mod:`ocrlite.pages.words`): where the space between two words is wider than
:data:`GAP_HEIGHTS` times the line's text height *and* :data:`GAP_SPACES` times the median of its other
gaps, the line is cut there. The rule reads positions the recognizer found, not ink statistics, so it works
on any background; justified prose and wide-spaced fonts stay whole (their spaces are all alike).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ocrlite.pages.words import Word, word_spans
from ocrlite.recognition.decode import Prediction

#: A gap splits a line when it is wider than this many text heights…
GAP_HEIGHTS = 1.5
#: …and wider than this many times the median of the line's other gaps between words.
GAP_SPACES = 3.0

ReadLine = tuple[np.ndarray, Prediction, list[Word], "np.ndarray | None"]


def _along(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The line's origin (corner 0), the unit vector along its text, and its length."""
    origin = corners[0].astype(np.float64)
    along = corners[1].astype(np.float64) - origin
    length = float(np.hypot(*along))
    return origin, along / max(length, 1e-9), length


def _word_extents(corners: np.ndarray, words: list[Word]) -> tuple[list[tuple[float, float]], list[float]]:
    """Each word's ``(start, end)`` along the line (from corner 0, page pixels) and its box height."""
    origin, unit, _ = _along(corners)
    positions = [(w.corners.astype(np.float64) - origin) @ unit for w in words]
    heights = [float(np.hypot(*(w.corners[3] - w.corners[0]))) for w in words]
    return [(float(p.min()), float(p.max())) for p in positions], heights


def cell_groups(corners: np.ndarray, words: list[Word], gap_heights: float = GAP_HEIGHTS,
                gap_spaces: float = GAP_SPACES) -> list[list[int]]:
    """Indices of ``words`` grouped into cells: a new cell starts after each gap wide enough (see module).

    Args:
        corners: ``(4, 2)`` the line's box on the page, clockwise from the top-left of its text.
        words: the line's words in reading order, each with its ``(4, 2)`` page corners.
    """
    if len(words) < 2:
        return [list(range(len(words)))]
    spans, heights = _word_extents(corners, words)
    text_height = float(np.percentile(heights, 80))  # capitals and ascenders, not the x-height
    gaps = np.array([max(0.0, b[0] - a[1]) for a, b in zip(spans, spans[1:])])
    groups, current = [], [0]
    for k, gap in enumerate(gaps, start=1):
        others = np.delete(gaps, k - 1)
        if gap > gap_heights * text_height and (not others.size or gap > gap_spaces * float(np.median(others))):
            groups.append(current)
            current = []
        current.append(k)
    groups.append(current)
    return groups


def split_cells(line: ReadLine, gap_heights: float = GAP_HEIGHTS, gap_spaces: float = GAP_SPACES) -> list[ReadLine]:
    """One read line ``(corners, prediction, words, baseline)`` as one or more cells in reading order.

    Each cell keeps the line's height and spans its words along the line, with the line's own margin
    past its outer words (at most half the text height) on the sides that were cut; its prediction holds
    its words' characters, confidences and frames, and its baseline is the line's, cut to the cell.
    """
    corners, pred, words, baseline = line
    groups = cell_groups(corners, words, gap_heights, gap_spaces)
    spans = word_spans(pred.text)
    if len(groups) < 2 or len(spans) != len(words):
        return [line]
    origin, unit, length = _along(corners)
    across = corners[3].astype(np.float64) - origin
    extents, heights = _word_extents(corners, words)
    first, last = extents[0][0], extents[-1][1]
    margin = float(np.clip(min(first, length - last), 0.0, 0.5 * max(heights)))
    cells = []
    for group in groups:
        start = 0.0 if group[0] == 0 else max(0.0, extents[group[0]][0] - margin)
        end = length if group[-1] == len(words) - 1 else min(length, extents[group[-1]][1] + margin)
        a, b = origin + start * unit, origin + end * unit
        cell_corners = np.array([a, b, b + across, a + across], np.float32)
        lo, hi = spans[group[0]][0], spans[group[-1]][1]
        confidences = list(pred.char_confidences[lo:hi])
        frames = list(pred.char_frames[lo:hi]) if len(pred.char_frames) == len(pred.text) else []
        cell_pred = replace(pred, text=pred.text[lo:hi], char_confidences=confidences, char_frames=frames,
                            confidence=float(np.mean(confidences)) if confidences else pred.confidence)
        cell_baseline = None
        if baseline is not None:
            b0, b1 = np.asarray(baseline, np.float64)
            run = float((b1 - b0) @ unit)
            if abs(run) > 1e-6:
                t0, t1 = (float((a - b0) @ unit) / run, float((b - b0) @ unit) / run)
                cell_baseline = np.array([b0 + t0 * (b1 - b0), b0 + t1 * (b1 - b0)], np.float32)
        cells.append((cell_corners, cell_pred, [words[k] for k in group], cell_baseline))
    return cells
