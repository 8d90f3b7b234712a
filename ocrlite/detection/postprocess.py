"""From the learned detector's probability map to line boxes, torch-free.

Boxes come from the map the standard DB way: threshold the map, take each connected region's contour,
score it by the mean probability inside, grow the region back by ``D = A · unclip / L`` (pyclipper: the
training targets shrank every line by such an offset), and fit a minimum-area rectangle — four corners
per line in page pixels, rotated boxes allowed; a box too short to have a direction of its own takes the
page's text axis (:func:`level_short_boxes`). Which end of a box is the start of its text is not
known here (a page may be upside down): the page reader decides that (:mod:`ocrlite.pages.learned`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper

#: ONNX metadata key holding the detector's settings.
METADATA_KEY = "ocrlite_detector"
#: A box at least this many times as long as tall is a line along its long edge, whatever the page's axis;
#: a shorter one (a lone digit, a short field) has no direction of its own and takes the page's.
LINE_ASPECT = 2.0


@dataclass
class DetectorSettings:
    """How a page is fed to the detector and its map read back (stored in the model file).

    Attributes:
        max_side: the page is scaled so its longer side is at most this many pixels (never enlarged
            beyond ``max_scale`` of its size), then padded to a multiple of 32.
        small_text, good_text, max_side_large: when the first pass finds no line, lines under
            ``small_text`` input pixels tall (boxes: the text and its margin), or blobs rather than lines (most
            of the boxes' area in boxes shorter than twice their height or taller than six good lines, or
            most of the map's text area in no box: dense small lines run together) on a page it shrank, a
            second pass reads it at the scale
            that makes them ``good_text`` tall (the height training drew most), longer side at most
            ``max_side_large`` — a phone photo of a whole A4 page has 8-pixel text at 1280.
        output_stride: input pixels per map cell.
        threshold: map cells above this are text.
        box_threshold: a region is kept when its mean probability is at least this.
        unclip: how far a region is grown back (DB's unclip ratio, matched to the training shrink).
        min_height: regions thinner than this (page pixels) are dropped as noise.
        mean, std: input normalisation ``(x / 255 - mean) / std``.
    """

    max_side: int = 1280
    output_stride: int = 2
    threshold: float = 0.3
    box_threshold: float = 0.5
    unclip: float = 1.6
    min_height: float = 4.0
    mean: float = 0.5
    std: float = 0.5
    max_scale: float = 2.0
    small_text: float = 12.0
    good_text: float = 20.0
    max_side_large: int = 2560


def resize_for_detector(gray: np.ndarray, settings: DetectorSettings, scale: float | None = None
                        ) -> tuple[np.ndarray, float]:
    """``(H, W)`` uint8 → ``(1, 1, h, w)`` float32 input (h, w multiples of 32) and the scale applied
    (``scale`` None: the first pass's, longer side at most ``max_side``)."""
    h, w = gray.shape
    if scale is None:
        scale = min(settings.max_scale, settings.max_side / max(h, w))
    nh, nw = max(32, int(round(h * scale))), max(32, int(round(w * scale)))
    resized = cv2.resize(gray, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    ph, pw = -(-nh // 32) * 32, -(-nw // 32) * 32
    padded = np.full((ph, pw), int(np.median(resized[-1:, :])) if resized.size else 255, np.uint8)
    padded[:nh, :nw] = resized
    x = (padded.astype(np.float32) / 255.0 - settings.mean) / settings.std
    return x[None, None], scale


def unclip(poly: np.ndarray, ratio: float) -> np.ndarray | None:
    """Grow a region's polygon by ``area · ratio / perimeter`` (pyclipper); None if nothing is left."""
    area = abs(cv2.contourArea(poly))
    length = cv2.arcLength(poly, True)
    if length <= 0:
        return None
    pco = pyclipper.PyclipperOffset()
    pco.AddPath([tuple(p) for p in poly.astype(np.int64).tolist()], pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    grown = pco.Execute(area * ratio / length)
    if not grown:
        return None
    return np.asarray(max(grown, key=len), np.float32)


def order_corners(box: np.ndarray) -> np.ndarray:
    """A rectangle's 4 corners clockwise from the top-left *along its long side*: the first edge (0 → 1)
    is the long one, pointing right-ish (the text's direction if the line is upright)."""
    box = np.asarray(box, np.float32)
    centre = box.mean(0)
    angles = np.arctan2(box[:, 1] - centre[1], box[:, 0] - centre[0])
    box = box[np.argsort(angles)]  # clockwise in image coordinates (y down)
    # start where edge 0→1 is a long edge pointing most to the right
    best, best_score = 0, -np.inf
    for i in range(4):
        a, b = box[i], box[(i + 1) % 4]
        c = box[(i + 2) % 4]
        long_edge = np.linalg.norm(b - a) >= np.linalg.norm(c - b) - 1e-3
        score = (b - a)[0] + (1e6 if long_edge else 0)
        if score > best_score:
            best, best_score = i, score
    return np.roll(box, -best, axis=0)


def dominant_angle(boxes: list[np.ndarray]) -> float:
    """The text axis of a page in degrees in (-90, 90]: the length-weighted circular mean of the boxes'
    long-edge angles, doubled so that opposite directions agree."""
    if not boxes:
        return 0.0
    acc = 0j
    for b in boxes:
        v = b[1] - b[0]
        length = float(np.hypot(*v))
        acc += length * complex(math.cos(2 * math.atan2(v[1], v[0])), math.sin(2 * math.atan2(v[1], v[0])))
    angle = math.degrees(math.atan2(acc.imag, acc.real) / 2)
    return angle if angle > -90 else angle + 180


def page_to_text_frame(angle: float) -> np.ndarray:
    """``(2, 2)`` rotation taking page points (row vectors, ``points @ R.T``) into the frame where text along
    ``angle`` degrees runs left to right; ``@ R`` takes them back."""
    a = math.radians(angle)
    return np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])


#: A short box takes the text axis of this many nearest line boxes (perspective and curl turn the axis
#: across a page).
AXIS_NEIGHBOURS = 3
#: A short box whose sides are within this many degrees of that axis is left as it is.
LEVEL_TOLERANCE = 10.0


def level_short_boxes(boxes: list[np.ndarray], regions: list[np.ndarray]) -> list[np.ndarray]:
    """Re-fit the boxes too short to have a direction of their own along the text axis around them.

    The minimum-area rectangle of a near-square region (a lone digit, a two-letter field) takes an
    arbitrary angle — often 45° — and a crop cut along it reads as nothing. Such a box (less than
    :data:`LINE_ASPECT` times as long as tall) turned more than :data:`LEVEL_TOLERANCE` from the text axis of
    its :data:`AXIS_NEIGHBOURS` nearest line boxes (:func:`dominant_angle`) is replaced by its region's
    bounding rectangle in that axis's frame.

    Args:
        boxes: ``(4, 2)`` corners per box, page pixels (:func:`order_corners` order).
        regions: each box's grown region, ``(N, 2)`` page pixels.
    """
    sides = [sorted((float(np.hypot(*(b[1] - b[0]))), float(np.hypot(*(b[3] - b[0]))))) for b in boxes]
    short = [s[1] < LINE_ASPECT * max(s[0], 1e-6) for s in sides]
    lines = [b for b, s in zip(boxes, short) if not s]
    if not any(short) or not lines:
        return boxes
    centres = np.array([b.mean(0) for b in lines])
    out = []
    for box, region, is_short in zip(boxes, regions, short):
        if is_short:
            nearest = np.argsort(np.hypot(*(centres - box.mean(0)).T))[:AXIS_NEIGHBOURS]
            axis = dominant_angle([lines[i] for i in nearest])
            off = (math.degrees(math.atan2(*(box[1] - box[0])[::-1])) - axis) % 90.0
            if min(off, 90.0 - off) <= LEVEL_TOLERANCE:
                out.append(box)
                continue
            to_text = page_to_text_frame(axis)
            upright = region.astype(np.float64) @ to_text.T
            (x0, y0), (x1, y1) = upright.min(0), upright.max(0)
            rect = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) @ to_text  # back to the page
            box = order_corners(rect.astype(np.float32))
        out.append(box)
    return out


def boxes_from_map(prob: np.ndarray, scale: float, settings: DetectorSettings,
                   page_shape: tuple[int, int], max_regions: int = 2000) -> tuple[list[np.ndarray], list[float]]:
    """Line boxes from a ``(h, w)`` probability map: ``(4, 2)`` float32 corners in page pixels and scores,
    the short ones levelled (:func:`level_short_boxes`).

    At most ``max_regions`` regions are looked at (the largest first): a noise page cannot make
    thousands of boxes.
    """
    boxes, scores, regions = _regions_from_map(prob, scale, settings, page_shape, max_regions)
    return _levelled(boxes, regions, page_shape), scores


def _levelled(boxes: list[np.ndarray], regions: list[np.ndarray], page_shape: tuple[int, int]) -> list[np.ndarray]:
    ph, pw = page_shape
    boxes = level_short_boxes(boxes, regions)
    for box in boxes:
        box[:, 0] = np.clip(box[:, 0], 0, pw)
        box[:, 1] = np.clip(box[:, 1], 0, ph)
    return boxes


def _regions_from_map(prob: np.ndarray, scale: float, settings: DetectorSettings, page_shape: tuple[int, int],
                      max_regions: int = 2000) -> tuple[list[np.ndarray], list[float], list[np.ndarray]]:
    """:func:`boxes_from_map` before levelling: each region's minimum-area box, score and grown polygon
    (page pixels)."""
    binary = (prob > settings.threshold).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    if len(contours) > max_regions:
        contours = sorted(contours, key=cv2.contourArea, reverse=True)[:max_regions]
    factor = settings.output_stride / scale
    boxes, scores, regions = [], [], []
    for contour in contours:
        if len(contour) < 3:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [contour.reshape(-1, 2) - [x, y]], 1)
        region = prob[y: y + h, x: x + w]
        score = float(region[mask > 0].mean()) if mask.any() else 0.0
        if score < settings.box_threshold:
            continue
        grown = unclip(contour.reshape(-1, 2).astype(np.float32), settings.unclip)
        if grown is None or len(grown) < 3:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(grown)
        if min(rw, rh) * factor < settings.min_height:
            continue
        boxes.append(order_corners(cv2.boxPoints(((cx, cy), (rw, rh), angle)) * factor))
        scores.append(score)
        regions.append(grown * factor)
    return boxes, scores, regions


def detect_boxes(probability, gray: np.ndarray, settings: DetectorSettings) -> tuple[list[np.ndarray], list[float]]:
    """Line boxes of a page, in one or two passes (see :class:`DetectorSettings`).

    Args:
        probability: the network: ``(1, 1, h, w)`` float32 input → ``(h / s, w / s)`` probability map.
        gray: the page, ``(H, W)`` uint8.
    """
    x, scale = resize_for_detector(gray, settings)
    prob = probability(x)
    boxes, scores, regions = _regions_from_map(prob, scale, settings, gray.shape)
    if scale >= 1.0:
        return _levelled(boxes, regions, gray.shape), scores
    sides = [sorted((np.hypot(*(b[1] - b[0])), np.hypot(*(b[3] - b[0])))) for b in boxes]
    median = float(np.median([s[0] for s in sides])) * scale if sides else 0.0
    area = sum(s[0] * s[1] for s in sides)
    blob_area = sum(s[0] * s[1] for s in sides if s[1] < 2 * s[0] or s[0] * scale > 6 * settings.good_text)
    # Text the map saw but no box kept (regions too faint to score: lines too small to tell apart, run
    # together) counts as blobs too: the boxes kept, grown past their regions, cover less than half of it.
    seen = float((prob > settings.threshold).sum()) * (settings.output_stride / scale) ** 2
    blobs = (bool(sides) and blob_area > 0.5 * area) or area < 0.5 * seen
    if boxes and median >= settings.small_text and not blobs:
        return _levelled(boxes, regions, gray.shape), scores
    # Too small to read well, or blobs rather than lines (small dense lines run together): look closer.
    target = scale * settings.good_text / median if boxes and not blobs else 1.0
    target = min(target, 1.0, settings.max_side_large / max(gray.shape))
    if target < scale * 1.25:
        return _levelled(boxes, regions, gray.shape), scores
    x, target = resize_for_detector(gray, settings, target)
    return boxes_from_map(probability(x), target, settings, gray.shape)
