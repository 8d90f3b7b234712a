"""Find the text lines of a printed page: deskew, binarise, drop rules and specks, group ink into
lines, split wide gaps, order for reading. Classical image processing with OpenCV, no training.

Pipeline (``find_lines``):

1. Work on a copy scaled to at most ``max_work_pixels`` (text analysis needs no more).
2. Skew: the angle in ±``max_skew`` degrees whose horizontal ink profile is sharpest.
3. Binarise (adaptive mean threshold, window from the page size); remove long horizontal and
   vertical rules (morphological opening) so table borders do not join lines.
4. Connected components: drop specks (smaller than a dot of the median glyph), and blobs far
   taller than the median glyph (stamps, logos, handwriting loops).
5. Smear each component horizontally (2.5 glyph heights): characters and words of a line join,
   lines stay apart. Boxes taller than two text lines are split at the empty rows between them.
6. Each line is split at gaps wider than ``gap_factor`` glyph heights *and* three times its own
   median word space (a column gutter, a table cell border, a right-aligned price), so wide
   monospace or justified spacing keeps a line whole.
7. Reading order: recursive X-Y cut — a vertical cut only between blocks of prose-width lines
   (columns); everything else is read in rows, left to right.

Boxes come back as four corners in the original image's pixels (the skew undone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass
class FinderConfig:
    """Settings of the line finder (defaults suit scans and photos of printed documents).

    Attributes:
        max_skew: largest skew corrected, degrees.
        max_work_pixels: the page is analysed at this size or smaller.
        gap_factor: a horizontal gap wider than this many glyph (cap) heights splits a line into two boxes.
        min_glyph_px: components shorter than this (working pixels) are specks.
        max_glyph_factor: components taller than this many glyph (cap) heights are not text.
    """

    max_skew: float = 10.0
    max_work_pixels: int = 3_000_000
    gap_factor: float = 1.2
    min_glyph_px: int = 4
    max_glyph_factor: float = 3.0


#: Lines one page may yield (a dense newspaper page has about 400): noise beyond this is not read.
MAX_PAGE_LINES = 2000


@dataclass
class LineBox:
    """One text line: four corners (clockwise from top-left) in page pixels, and its height."""

    corners: np.ndarray  # (4, 2) float32
    height: float
    index: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Axis-aligned ``(x0, y0, x1, y1)`` around the corners."""
        xs, ys = self.corners[:, 0], self.corners[:, 1]
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())


@dataclass
class PageLayout:
    """What the finder saw: lines in reading order, the skew corrected and the upright page it cut from.

    Attributes:
        lines: line boxes in reading order (original page coordinates).
        skew: degrees the page was rotated to level its lines (counter-clockwise positive).
        upright: the page rotated by ``skew``, at the working scale, for line crops.
        boxes_upright: ``(N, 4)`` ``x0, y0, x1, y1`` of each line in ``upright``.
    """

    lines: list[LineBox]
    skew: float
    upright: np.ndarray
    boxes_upright: np.ndarray
    glyph_height: float


def _scale_to(gray: np.ndarray, max_pixels: int) -> tuple[np.ndarray, float]:
    h, w = gray.shape
    scale = min(1.0, (max_pixels / max(h * w, 1)) ** 0.5)
    if scale < 1.0:
        gray = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    return gray, scale


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink = 255 on 0: adaptive mean threshold with a window of about 1/20 of the page's short side."""
    block = max(15, (min(gray.shape) // 20) | 1)
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)
    if float(np.mean(gray)) < 100:  # light text on a dark page: read the negative
        ink = cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)
    return ink


def estimate_skew(ink: np.ndarray, max_skew: float) -> float:
    """Degrees (counter-clockwise) that level the text: the rotation whose row profile varies most."""
    small, _ = _scale_to(ink, 400_000)
    h, w = small.shape
    center = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(center, angle, 1.0)
        rotated = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        profile = rotated.sum(axis=1, dtype=np.float64)
        return float(np.var(np.diff(profile)))

    coarse = np.arange(-max_skew, max_skew + 1e-6, 1.0)
    best = float(coarse[int(np.argmax([sharpness(a) for a in coarse]))])
    fine = np.arange(best - 1.0, best + 1.0 + 1e-6, 0.1)
    return float(fine[int(np.argmax([sharpness(a) for a in fine]))])


def remove_rules(ink: np.ndarray, glyph: float) -> np.ndarray:
    """Drop horizontal and vertical rules (longer than ~6 glyph heights, a few pixels thick)."""
    length = max(20, int(6 * glyph))
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return cv2.subtract(ink, cv2.bitwise_or(horizontal, vertical))


def glyph_height(stats: np.ndarray) -> float:
    """Height of capitals and ascenders (80th percentile of glyph-like components), not the x-height."""
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    plausible = heights[(heights >= 4) & (widths < 4 * heights + 4)]
    return float(np.percentile(plausible, 80)) if len(plausible) else 0.0


def split_tall(box: np.ndarray, mask: np.ndarray, glyph: float) -> list[np.ndarray]:
    """Split a box holding several lines at the emptiest rows between them."""
    x0, y0, x1, y1 = box
    if y1 - y0 < 2.2 * glyph:
        return [box]
    profile = mask[y0:y1, x0:x1].sum(axis=1).astype(np.float64)
    lines_in = max(2, int(round((y1 - y0) / (1.35 * glyph))))
    cuts = []
    for k in range(1, lines_in):
        center = int((y1 - y0) * k / lines_in)
        lo, hi = max(1, center - int(0.5 * glyph)), min(len(profile) - 1, center + int(0.5 * glyph))
        if hi > lo:
            cuts.append(lo + int(np.argmin(profile[lo:hi])))
    peak = float(profile.max()) if len(profile) else 0.0
    cuts = [c for c in cuts if profile[c] <= 0.12 * peak]  # only where the rows really empty out
    if not cuts:
        return [box]
    edges = [0, *cuts, y1 - y0]
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        rows = np.nonzero(profile[a:b])[0]
        if len(rows):
            out.append(np.array([x0, y0 + a + rows[0], x1, y0 + a + rows[-1] + 1]))
    return out or [box]


def _split_gaps(box: np.ndarray, mask: np.ndarray, glyph: float, gap_factor: float) -> list[np.ndarray]:
    """Split a smeared line at gaps much wider than its own word spaces (column gutters, cell borders).

    A gap splits when it is wider than ``gap_factor`` glyph heights and three times the line's
    median gap: wide-spaced fonts and justified lines stay whole, a table row falls into cells.
    """
    x0, y0, x1, y1 = box
    cols = mask[y0:y1, x0:x1].any(axis=0)
    edges = np.flatnonzero(np.diff(np.concatenate([[1], cols.astype(np.int8), [1]])))
    gaps = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if 0 < a and b < len(cols)]  # interior empty runs
    widths = np.array([b - a for a, b in gaps], dtype=np.float64)
    spaces = widths[widths > 0.15 * glyph]
    if not len(spaces):
        return [box]
    limit = max(gap_factor * glyph, 3.0 * float(np.median(spaces)))
    pieces, start = [], 0
    for (a, b), width in zip(gaps, widths):
        if width > limit:
            pieces.append((start, a))
            start = b
    pieces.append((start, len(cols)))
    out = []
    for a, b in pieces:
        rows = np.flatnonzero(mask[y0:y1, x0 + a:x0 + b].any(axis=1))
        if len(rows):
            out.append(np.array([x0 + a, y0 + rows[0], x0 + b, y0 + rows[-1] + 1]))
    return out or [box]


def _gaps(boxes: np.ndarray, start: int, end: int, min_gap: float):
    """Empty bands along one axis: ``(width, before, after)`` index splits of ``boxes`` sorted by their
    ``start`` coordinate, wherever the next box starts more than ``min_gap`` past every earlier end."""
    order = np.argsort(boxes[:, start])
    reach = -np.inf
    for k, j in enumerate(order[:-1]):
        reach = max(reach, boxes[j, end])
        width = boxes[order[k + 1], start] - reach
        if width > min_gap:
            yield float(width), list(order[: k + 1]), list(order[k + 1:])


def xy_cut_order(boxes: np.ndarray, glyph: float) -> list[int]:
    """Reading order of ``(N, 4)`` ``(x0, y0, x1, y1)`` line boxes by recursive X-Y cut (see the module
    docstring); ``glyph`` is the text's cap height, the unit of its gaps.

    Each step cuts the widest empty band of rows (at least 1.5 glyphs) or the widest gutter between
    blocks of prose-width lines (at least 1 glyph), whichever is wider for its minimum: two columns whose
    paragraphs happen to break at the same height are still read one after the other.
    """
    def rows(idx: list[int]) -> list[int]:
        idx = sorted(idx, key=lambda i: (boxes[i, 1] + boxes[i, 3]) / 2)
        ordered, row, row_bottom = [], [], -1.0
        for i in idx:
            center = (boxes[i, 1] + boxes[i, 3]) / 2
            if row and center > row_bottom:
                ordered += sorted(row, key=lambda j: boxes[j, 0])
                row = []
            if not row:
                row_bottom = center + 0.5 * max(glyph, (boxes[i, 3] - boxes[i, 1]) * 0.5)
            row.append(i)
        return ordered + sorted(row, key=lambda j: boxes[j, 0])

    def prose_columns(left: list[int], right: list[int]) -> bool:
        widths_l = boxes[left, 2] - boxes[left, 0]
        widths_r = boxes[right, 2] - boxes[right, 0]
        return (len(left) >= 3 and len(right) >= 3 and np.median(widths_l) > 8 * glyph
                and np.median(widths_r) > 8 * glyph)

    def cut(idx: list[int], depth: int) -> list[int]:
        if len(idx) < 4 or depth > 12:
            return rows(idx)
        sub = boxes[idx]
        candidates = [(width / (1.5 * glyph), before, after) for width, before, after in _gaps(sub, 1, 3, 1.5 * glyph)]
        candidates += [(width / glyph, before, after) for width, before, after in _gaps(sub, 0, 2, 1.0 * glyph)
                       if prose_columns([idx[t] for t in before], [idx[t] for t in after])]
        if not candidates:
            return rows(idx)
        _, before, after = max(candidates, key=lambda c: c[0])
        return cut([idx[t] for t in before], depth + 1) + cut([idx[t] for t in after], depth + 1)

    return cut(list(range(len(boxes))), 0)


def find_lines(gray: np.ndarray, config: FinderConfig | None = None) -> PageLayout:
    """Find the text lines of a page.

    Args:
        gray: ``(H, W)`` uint8 page.
        config: finder settings.

    Returns:
        The lines in reading order (empty for a blank page or a picture without text).
    """
    cfg = config or FinderConfig()
    work, scale = _scale_to(gray, cfg.max_work_pixels)
    ink = binarize(work)
    skew = estimate_skew(ink, cfg.max_skew) if cfg.max_skew > 0 else 0.0
    h, w = work.shape
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
    if abs(skew) > 0.05:
        work = cv2.warpAffine(work, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        ink = binarize(work)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    glyph = glyph_height(stats)
    empty = PageLayout([], skew, work, np.zeros((0, 4), np.int32), glyph)
    if n <= 1 or glyph < cfg.min_glyph_px:
        return empty
    ink = remove_rules(ink, glyph)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights, widths, areas = (stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_AREA])
    thin_tall = (widths < 0.25 * glyph) & (heights > 1.6 * glyph)  # pieces of vertical rules and borders
    keep = (areas >= max(3, (0.12 * glyph) ** 2)) & (heights <= cfg.max_glyph_factor * glyph) & (
        widths <= 0.9 * w) & (heights >= 2) & ~thin_tall
    keep[0] = False
    text = np.where(keep[labels], 255, 0).astype(np.uint8)
    if not keep.any():
        return empty
    # Smear: join glyphs and words of a line (up to 2.5 glyph heights apart), then split wide gaps per line.
    reach = max(3, int(2.5 * glyph))
    smeared = cv2.dilate(text, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, 1)))
    smeared = cv2.erode(smeared, cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, reach - 2), 1)))
    m, _, line_stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
    boxes = []
    for k in range(1, m):
        x, y, bw, bh = line_stats[k, :4]
        if bh < 0.4 * glyph or (bw < 0.6 * glyph and bh < 0.8 * glyph):
            continue  # punctuation-sized leftovers
        region = text[y:y + bh, x:x + bw]
        ys, xs = np.nonzero(region)
        if len(ys) == 0:
            continue
        box = np.array([x + xs.min(), y + ys.min(), x + xs.max() + 1, y + ys.max() + 1])
        for part in split_tall(box, text, glyph):
            boxes += _split_gaps(part, text, glyph, cfg.gap_factor)
    if not boxes:
        return empty
    arr = np.array(boxes, dtype=np.float64)
    if len(arr) > MAX_PAGE_LINES:  # noise (a photo, a halftone) found as thousands of specks: keep the largest
        areas = (arr[:, 2] - arr[:, 0]) * (arr[:, 3] - arr[:, 1])
        arr = arr[np.sort(np.argsort(-areas, kind="stable")[:MAX_PAGE_LINES])]
    order = xy_cut_order(arr, glyph)
    arr = arr[order]
    # Corners in the original page: undo the rotation, then the working scale.
    inverse = cv2.invertAffineTransform(rot)
    lines = []
    pad = 0.12 * glyph
    for i, (x0, y0, x1, y1) in enumerate(arr):
        quad = np.array([[x0, y0 - pad], [x1, y0 - pad], [x1, y1 + pad], [x0, y1 + pad]], dtype=np.float64)
        quad = np.hstack([quad, np.ones((4, 1))]) @ inverse.T if abs(skew) > 0.05 else quad
        lines.append(LineBox((quad / scale).astype(np.float32), float((y1 - y0) / scale), i))
    return PageLayout(lines, skew, work, np.round(arr).astype(np.int32), glyph)
