"""Reading a page with the learned detector: boxes → which way is up → crops → lines in reading order.

**Which way is up** is decided by the recognizer itself, which works on any background: the boxes'
long sides give the text's axis (the dominant one, as a length-weighted circular mean of doubled
angles, so 0° and 180° agree), which leaves two ways to read every line. The widest lines (up to
:data:`ORIENTATION_SAMPLE`) are read both ways and the page takes the way that reads more confidently;
that settles 0/90/180/270 and any angle between. Boxes much taller than the page's lines (blocks the
detector ran together) are left out of that sample. A line printed upside down on an upright page (a stamp,
a label) is found by the line-turn classifier (:mod:`ocrlite.recognition.line_turn`, as PP-OCR's ``cls``):
it is turned round when the classifier is sure and, turned, it reads a little more confidently. Without the
classifier (a build that lacks it), a line that reads poorly is turned when turned it reads much better.

**Reading order**: in the upright frame, the classic finder's recursive X-Y cut: columns of prose one
after the other, everything else in rows top to bottom, each left to right.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ocrlite.detection.postprocess import LINE_ASPECT, dominant_angle, page_to_text_frame
from ocrlite.pages.cells import split_cells
from ocrlite.pages.finder import LineBox, xy_cut_order
from ocrlite.pages.long_lines import CropReading, read_crops_located
from ocrlite.pages.stacked import split_stacked
from ocrlite.pages.words import Word, locate_line
from ocrlite.recognition.decode import Prediction
from ocrlite.recognition.line_turn import OnnxLineTurn, default_line_turn
from ocrlite.recognition.reader import BaseRecognizer

#: Lines read both ways round to decide the page's way up (the widest ones: most letters).
ORIENTATION_SAMPLE = 8
#: Only boxes at most this many times the page's median box height are in that sample: a taller box is a
#: block the detector ran together (a table's column, a picture), whose reading says nothing either way.
ORIENTATION_MAX_HEIGHT = 2.0
#: Only lines read below this confidence are shown to the line-turn classifier: an upside-down line never reads
#: this surely (none of the 2,363 caught on 60 SROIE training receipts did), and it spares the classifier ~3/4 of
#: the lines.
LINE_TURN_BELOW = 0.95
#: A line on its own is turned round when the line-turn classifier gives it at least this probability of being
#: upside down…
LINE_TURN_P = 0.9
#: …and turned it reads at least this much more confidently (both chosen on 60 SROIE *training* receipts' lines,
#: each also presented upside down: 0.04 % of upright lines turned, 83 % of upside-down ones caught; docs/pages.md).
LINE_TURN_MARGIN = 0.05
#: Without the classifier: a line on its own is turned round when its upright read is below this confidence…
LINE_FLIP_BELOW = 0.8
#: …and turned round it reads at least this much more confidently.
LINE_FLIP_MARGIN = 0.15
#: Margin added before and after a box's text when it is cut out, in box heights (the recognizer was trained
#: on lines with about this much room at their ends, as the classic finder cuts them)…
CROP_PAD_ALONG = 0.3
#: …and above and below it: a little, as the detector's box already holds most of the line's margin (more lets
#: the neighbouring lines in; chosen by page CER on training receipts, turned receipts and training-side scenes).
CROP_PAD_ACROSS = 0.05
#: A detector box's height in cap heights of its text (the box holds ascenders, descenders and a margin).
TEXT_IN_BOX = 0.6


def align_to(box: np.ndarray, angle: float) -> np.ndarray:
    """``box``'s corners re-ordered so that edge 0 → 1 points closest to ``angle`` (the page's text axis),
    along the box's long edge when the box is a line (at least :data:`LINE_ASPECT` times as long as tall:
    a label printed across the page keeps its own axis) and whichever edge that is otherwise (a lone
    digit, a block of a few stacked lines: read along the page's text)."""
    best, best_dot = 0, -np.inf
    direction = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    sides = [float(np.hypot(*(box[(i + 1) % 4] - box[i]))) for i in range(4)]
    elongated = max(sides) >= LINE_ASPECT * max(min(sides), 1e-6)
    for i in range(4):
        v = box[(i + 1) % 4] - box[i]
        longer = sides[i] >= sides[(i + 1) % 4] - 1e-3
        dot = float(v @ direction) / max(sides[i], 1e-6) + (10 if longer and elongated else 0)
        if dot > best_dot:
            best, best_dot = i, dot
    return np.roll(box, -best, axis=0)


def _crop_frame(corners: np.ndarray, along: float, across: float) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The page quad a line's crop is cut from, the crop's own corners, and its ``(w, h)``."""
    p0, p1, _, p3 = corners.astype(np.float32)
    length, height = float(np.hypot(*(p1 - p0))), float(np.hypot(*(p3 - p0)))
    grow = (p3 - p0) / max(height, 1e-6) * height * across
    side = (p1 - p0) / max(length, 1e-6) * height * along
    src = np.float32([p0 - grow - side, p1 - grow + side, p3 + (p1 - p0) + grow + side, p3 + grow - side])
    w = max(4, int(round(length + 2 * height * along)))
    h = max(4, int(round(height * (1 + 2 * across))))
    dst = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    return src, dst, (w, h)


def cut_line(gray: np.ndarray, corners: np.ndarray, along: float = CROP_PAD_ALONG,
             across: float = CROP_PAD_ACROSS) -> np.ndarray:
    """The line inside ``corners`` (edge 0 → 1 along the text) as an upright ``(h, w)`` uint8 crop, with
    ``along`` and ``across`` box heights of margin at its ends and above and below."""
    src, dst, (w, h) = _crop_frame(corners, along, across)
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def crop_to_page(corners: np.ndarray, along: float = CROP_PAD_ALONG, across: float = CROP_PAD_ACROSS) -> np.ndarray:
    """``(3, 3)`` homography from the pixels of :func:`cut_line`'s crop back to the page."""
    src, dst, _ = _crop_frame(corners, along, across)
    return cv2.getPerspectiveTransform(dst, src)


def cut_lines(gray: np.ndarray, boxes: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every box cut out (:func:`cut_line`), a box of several stacked lines as one crop per line
    (:func:`~ocrlite.pages.stacked.split_stacked` on the box without its end margins).

    Returns:
        The line boxes (``(4, 2)`` page corners) and their ``(h, w)`` uint8 crops, in step.
    """
    lines, crops = [], []
    for box in boxes:
        crop = cut_line(gray, box)
        height = float(np.hypot(*(box[3] - box[0])))
        mx, my = int(round(height * CROP_PAD_ALONG)), int(round(height * CROP_PAD_ACROSS))
        inner = crop[my: crop.shape[0] - my, mx: crop.shape[1] - mx]
        shift = np.array([[1.0, 0.0, mx], [0.0, 1.0, my], [0.0, 0.0, 1.0]])
        parts = split_stacked(inner, crop_to_page(box) @ shift) if inner.size else []
        lines += parts or [box]
        crops += [cut_line(gray, part) for part in parts] or [crop]
    return lines, crops


def reading_order(corners: list[np.ndarray], angle: float) -> list[int]:
    """Indices of the lines in reading order for text along ``angle`` degrees: in the upright frame, the
    classic finder's recursive X-Y cut (:func:`~ocrlite.pages.finder.xy_cut_order`) — columns of prose
    one after the other, everything else in rows top to bottom, each left to right."""
    if not corners:
        return []
    rot = page_to_text_frame(angle)
    upright = [c.astype(np.float64) @ rot.T for c in corners]
    boxes = np.array([[u[:, 0].min(), u[:, 1].min(), u[:, 0].max(), u[:, 1].max()] for u in upright])
    heights = [max(float(np.hypot(*(c[3] - c[0]))), 1.0) for c in corners]
    return xy_cut_order(boxes, TEXT_IN_BOX * float(np.median(heights)))


def _read(rec: BaseRecognizer, crops: list[np.ndarray], batch_size: int) -> list[CropReading]:
    return read_crops_located(rec, crops, batch_size)  # lines too wide for the model are read in pieces


def _reading_confidence(predictions: list[Prediction]) -> float:
    """How confidently a sample of lines reads: the mean confidence of all its characters (a box that reads
    as nothing or one stray mark counts for little; a long line for much)."""
    chars = [c for p in predictions for c in p.char_confidences]
    return float(np.mean(chars)) if chars else 0.0


def lines_to_turn(rec: BaseRecognizer, crops: list[np.ndarray], reads: list[CropReading],
                  line_turn: OnnxLineTurn | None, batch_size: int = 32) -> dict[int, CropReading]:
    """The lines of an upright page that are printed upside down, with their reading turned round:
    ``{index: reading of the turned crop}``.

    With ``line_turn``, those read below :data:`LINE_TURN_BELOW` that it gives at least :data:`LINE_TURN_P` and
    that read :data:`LINE_TURN_MARGIN` more confidently turned; without it, those read below
    :data:`LINE_FLIP_BELOW` that turned read :data:`LINE_FLIP_MARGIN` more confidently.
    """
    if line_turn is not None:
        unsure = [i for i, r in enumerate(reads) if r.prediction.confidence < LINE_TURN_BELOW]
        p = line_turn.turned_probability([crops[i] for i in unsure]) if unsure else []
        candidates = [i for i, pi in zip(unsure, p) if pi >= LINE_TURN_P]
        margin = LINE_TURN_MARGIN
    else:
        candidates = [i for i, r in enumerate(reads) if r.prediction.confidence < LINE_FLIP_BELOW]
        margin = LINE_FLIP_MARGIN
    turned = _read(rec, [crops[i][::-1, ::-1] for i in candidates], batch_size) if candidates else []
    return {i: r for i, r in zip(candidates, turned)
            if r.prediction.confidence >= reads[i].prediction.confidence + margin}


def read_page_learned(rec: BaseRecognizer, detector, gray: np.ndarray, batch_size: int = 32,
                      line_turn: OnnxLineTurn | None = None) -> tuple[
        list[tuple[np.ndarray, Prediction, list[Word], np.ndarray | None]], float, int]:
    """Detect, orient and read the lines of ``gray`` (``(H, W)`` uint8); ``line_turn``: the line-turn
    classifier (None: the shipped one, when the package has it).

    Returns:
        ``[(corners, prediction, words, baseline)]`` in reading order (corners ``(4, 2)`` clockwise from the
        top-left of the text, page pixels; words with their boxes and the baseline, :mod:`ocrlite.pages.words`), the turn that levels the lines after the rotation (degrees
        counter-clockwise, as :attr:`ocrlite.pages.reader.PageResult.skew`),
        and the rotation applied (0, 90, 180 or 270, counter-clockwise: how far the page was turned to read it).
    """
    boxes, _ = detector.detect(gray)
    if not boxes:
        return [], 0.0, 0
    angle = dominant_angle(boxes)
    boxes = [align_to(b, angle) for b in boxes]
    boxes, crops = cut_lines(gray, boxes)
    keep = [i for i, c in enumerate(crops) if c.shape[1] >= 4]
    boxes, crops = [boxes[i] for i in keep], [crops[i] for i in keep]
    reads = _read(rec, crops, batch_size)
    typical = float(np.median([c.shape[0] for c in crops]))
    lines = [i for i, c in enumerate(crops) if c.shape[0] <= ORIENTATION_MAX_HEIGHT * typical] or list(range(len(crops)))
    sample = sorted(lines, key=lambda i: -crops[i].shape[1])[:ORIENTATION_SAMPLE]
    upright = _reading_confidence([reads[i].prediction for i in sample])
    turned = _read(rec, [crops[i][::-1, ::-1] for i in sample], batch_size)
    if _reading_confidence([r.prediction for r in turned]) > upright:
        angle = angle + 180 if angle <= 0 else angle - 180
        boxes = [np.roll(b, 2, axis=0) for b in boxes]
        crops = [c[::-1, ::-1] for c in crops]
        reads = _read(rec, crops, batch_size)
    for i, r in lines_to_turn(rec, crops, reads, line_turn or default_line_turn(), batch_size).items():
        reads[i], boxes[i], crops[i] = r, np.roll(boxes[i], 2, axis=0), crops[i][::-1, ::-1]
    rotation = int(round(-angle / 90.0)) % 4 * 90  # text along +angle° in the image: turned by -angle to read
    skew = angle + (rotation if rotation <= 180 else rotation - 360)  # the level-making turn, as the classic finder's
    order = reading_order(boxes, angle)
    out = []
    for i in order:
        pred = reads[i].prediction
        to_page = crop_to_page(boxes[i])
        words, baseline = locate_line(pred.text, pred.char_confidences, reads[i].char_columns, crops[i], to_page)
        out += split_cells((boxes[i], pred, words, baseline))
    return out, float(skew), rotation


def as_line_box(corners: np.ndarray) -> LineBox:
    """A :class:`~ocrlite.pages.finder.LineBox` from four corners (clockwise from the text's top-left)."""
    corners = np.asarray(corners, np.float64)
    return LineBox(corners=corners, height=float(np.hypot(*(corners[3] - corners[0]))))
