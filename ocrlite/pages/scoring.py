"""Scores for a page reader against annotated line boxes: detection precision/recall at IoU >= 0.5,
page CER with lines matched by position, and page CER as a bag of lines.

- **Detection**: a found box and an annotated box match when their axis-aligned IoU is >= 0.5
  (one-to-one, best IoU first). Precision = matched / found, recall = matched / annotated.
- **Page CER, matched by position**: each annotated line is scored against the best-matching
  stretch (free start and end) of the text read where it stands — the found lines whose box
  covers at least half of the annotation's height and overlaps it horizontally, joined left to
  right. So a reader whose lines are longer or shorter than the annotation's is not punished
  for the cut, only for the characters; an annotated line with nothing found on it counts all
  its characters as errors. (Text read where nothing is annotated is counted by precision.)
- **Page CER, bag of lines**: found and annotated lines matched one-to-one by edit distance,
  ignoring position; unmatched lines on either side count all their characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass

import numpy as np

from ocrlite.recognition.metrics import edit_distance

Box = tuple[float, float, float, float]


def quad_box(quad: np.ndarray) -> Box:
    """Axis-aligned ``(x0, y0, x1, y1)`` of a ``(4, 2)`` quadrilateral."""
    q = np.asarray(quad, dtype=np.float64)
    return float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max())


def iou(a: Box, b: Box) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def substring_distance(reference: str, hypothesis: str) -> int:
    """Edit distance from ``reference`` to the best-matching substring of ``hypothesis`` (semi-global)."""
    if not reference:
        return 0
    if not hypothesis:
        return len(reference)
    hyp = np.frombuffer(hypothesis.encode("utf-32-le"), dtype=np.uint32)
    prev = np.zeros(len(hyp) + 1, dtype=np.int64)  # free start: row 0 is all zeros
    for i, ch in enumerate(reference.encode("utf-32-le").decode("utf-32-le"), 1):
        cost = (hyp != ord(ch)).astype(np.int64)
        cur = np.empty_like(prev)
        cur[0] = i
        diag = prev[:-1] + cost
        up = prev[1:] + 1
        best = np.minimum(diag, up)
        # left moves (insertions in the hypothesis) need a running minimum: cur[j] = min(best[j-1], cur[j-1] + 1)
        for j in range(1, len(cur)):
            cur[j] = min(best[j - 1], cur[j - 1] + 1)
        prev = cur
    return int(prev.min())


class Counts:
    """A dataclass of counts that add up field by field (sum a set's pages, then take the ratios)."""

    def __add__(self, other):
        return type(self)(*(a + b for a, b in zip(astuple(self), astuple(other))))


class Matches(Counts):
    """Counts with ``annotated``, ``found`` and ``matched`` boxes: precision, recall and their H-mean."""

    annotated: int
    found: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.annotated if self.annotated else 0.0

    @property
    def hmean(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class PageScore(Matches):
    """Counts for one page (sum them over pages, then take the ratios)."""

    annotated: int = 0
    found: int = 0
    matched: int = 0
    ref_chars: int = 0
    position_errors: int = 0
    bag_errors: int = 0

    @property
    def position_cer(self) -> float:
        return self.position_errors / max(self.ref_chars, 1)

    @property
    def bag_cer(self) -> float:
        return self.bag_errors / max(self.ref_chars, 1)


def _normal(text: str) -> str:
    return " ".join(text.upper().split())  # annotations are upper case: compare case-insensitively


def score_page(truth: Sequence[tuple[str, Box]], found: Sequence[tuple[str, Box]]) -> PageScore:
    """Score one page. ``truth`` and ``found`` are ``(text, (x0, y0, x1, y1))`` lines."""
    truth = [(_normal(t), b) for t, b in truth if _normal(t) and _normal(t) != "###"]
    found = [(_normal(t), b) for t, b in found if _normal(t)]
    s = PageScore(annotated=len(truth), found=len(found), ref_chars=sum(len(t) for t, _ in truth))
    pairs = sorted(((iou(tb, fb), i, j) for i, (_, tb) in enumerate(truth) for j, (_, fb) in enumerate(found)),
                   reverse=True)
    used_t, used_f = set(), set()
    for value, i, j in pairs:
        if value < 0.5:
            break
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
    s.matched = len(used_t)
    for text, (x0, y0, x1, y1) in truth:
        here = []
        for ftext, (fx0, fy0, fx1, fy1) in found:
            overlap_y = min(y1, fy1) - max(y0, fy0)
            if overlap_y >= 0.5 * (y1 - y0) and min(x1, fx1) > max(x0, fx0):
                here.append((fx0, ftext))
        s.position_errors += substring_distance(text, " ".join(t for _, t in sorted(here)))
    # bag of lines: greedy one-to-one by normalised edit distance
    candidates = sorted(((edit_distance(t, f) / max(len(t), 1), i, j) for i, (t, _) in enumerate(truth)
                         for j, (f, _) in enumerate(found)))
    used_t, used_f = set(), set()
    errors = 0
    for ratio, i, j in candidates:
        if ratio >= 1.0:
            break
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            errors += edit_distance(truth[i][0], found[j][0])
    errors += sum(len(t) for i, (t, _) in enumerate(truth) if i not in used_t)
    errors += sum(len(f) for j, (f, _) in enumerate(found) if j not in used_f)
    s.bag_errors = errors
    return s


def quad_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two quadrilaterals (``(N, 2)`` points; their convex hulls, so rotated boxes compare fairly)."""
    import cv2

    pa = cv2.convexHull(np.asarray(a, np.float32))
    pb = cv2.convexHull(np.asarray(b, np.float32))
    inter, _ = cv2.intersectConvexConvex(pa, pb)
    union = cv2.contourArea(pa) + cv2.contourArea(pb) - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass
class DetectionScore(Matches):
    """Detection counts over pages, ICDAR 2015 style: one-to-one matches at IoU >= 0.5 of the (rotated)
    boxes; ``###`` annotations and the found boxes that fall on them are counted on neither side."""

    annotated: int = 0
    found: int = 0
    matched: int = 0



def score_detection(truth: Sequence[np.ndarray], found: Sequence[np.ndarray],
                    ignore: Sequence[bool] | None = None, threshold: float = 0.5) -> DetectionScore:
    """Score one page's found boxes against its annotated ones (``(4, 2)`` corners each)."""
    ignore = list(ignore) if ignore is not None else [False] * len(truth)
    cared = [t for t, ig in zip(truth, ignore) if not ig]
    dont_care = [t for t, ig in zip(truth, ignore) if ig]
    kept = [f for f in found if not any(quad_iou(f, d) >= threshold for d in dont_care)]
    boxes_t = [quad_box(t) for t in cared]
    boxes_f = [quad_box(f) for f in kept]
    pairs = []
    for i, t in enumerate(cared):
        for j, f in enumerate(kept):
            if iou(boxes_t[i], boxes_f[j]) > 0:  # cheap axis-aligned test first
                value = quad_iou(t, f)
                if value >= threshold:
                    pairs.append((value, i, j))
    used_t, used_f = set(), set()
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
    return DetectionScore(len(cared), len(kept), len(used_t))


@dataclass
class WordBoxScore(Counts):
    """How well found word boxes cover the true ones: each true word against its best-overlapping found word."""

    words: int = 0
    iou_sum: float = 0.0
    over_half: int = 0
    over_07: int = 0
    #: true words whose best-overlapping found word (IoU ≥ 0.5) reads the same, case folded
    read_same: int = 0

    @property
    def mean_iou(self) -> float:
        return self.iou_sum / self.words if self.words else 0.0


def score_words(truth: Sequence[tuple[str, np.ndarray]], found: Sequence[tuple[str, np.ndarray]]) -> WordBoxScore:
    """Score found ``(text, corners)`` words against the true ``(text, corners)`` words of one page."""
    score = WordBoxScore()
    boxes = [quad_box(q) for _, q in found]
    for text, quad in truth:
        box = quad_box(quad)
        near = [k for k, b in enumerate(boxes) if iou(box, b) > 0]  # cheap prefilter before the exact overlap
        best, best_k = 0.0, -1
        for k in near:
            value = quad_iou(quad, found[k][1])
            if value > best:
                best, best_k = value, k
        score.words += 1
        score.iou_sum += best
        score.over_half += best >= 0.5
        score.over_07 += best >= 0.7
        score.read_same += best >= 0.5 and _normal(found[best_k][0]) == _normal(text)
    return score
