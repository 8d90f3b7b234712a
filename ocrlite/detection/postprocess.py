"""From the learned detector's probability map to line boxes, torch-free.

Boxes come from the map the standard DB way: threshold the map, take each connected region's contour,
score it by the mean probability inside, grow the region back by ``D = A · unclip / L`` (pyclipper: the
training targets shrank every line by such an offset), and fit a minimum-area rectangle — four corners
per line in page pixels, rotated boxes allowed. Which end of a box is the start of its text is not
known here (a page may be upside down): the page reader decides that (:mod:`ocrlite.pages.learned`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper

#: ONNX metadata key holding the detector's settings.
METADATA_KEY = "ocrlite_detector"


@dataclass
class DetectorSettings:
    """How a page is fed to the detector and its map read back (stored in the model file).

    Attributes:
        max_side: the page is scaled so its longer side is at most this many pixels (never enlarged
            beyond ``max_scale`` of its size), then padded to a multiple of 32.
        small_text, good_text, max_side_large: when the first pass finds no line, lines under
            ``small_text`` input pixels tall, or blobs rather than lines (most of the boxes' area in boxes
            shorter than twice their height or taller than six good lines: dense small lines run together) on a page it shrank, a second pass reads it at the scale
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


def boxes_from_map(prob: np.ndarray, scale: float, settings: DetectorSettings,
                   page_shape: tuple[int, int], max_regions: int = 2000) -> tuple[list[np.ndarray], list[float]]:
    """Line boxes from a ``(h, w)`` probability map: ``(4, 2)`` float32 corners in page pixels and scores.

    At most ``max_regions`` regions are looked at (the largest first): a noise page cannot make
    thousands of boxes.
    """
    binary = (prob > settings.threshold).astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    if len(contours) > max_regions:
        contours = sorted(contours, key=cv2.contourArea, reverse=True)[:max_regions]
    factor = settings.output_stride / scale
    ph, pw = page_shape
    boxes, scores = [], []
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
        corners = cv2.boxPoints(((cx, cy), (rw, rh), angle)) * factor
        corners[:, 0] = np.clip(corners[:, 0], 0, pw)
        corners[:, 1] = np.clip(corners[:, 1], 0, ph)
        boxes.append(order_corners(corners))
        scores.append(score)
    return boxes, scores


def detect_boxes(probability, gray: np.ndarray, settings: DetectorSettings) -> tuple[list[np.ndarray], list[float]]:
    """Line boxes of a page, in one or two passes (see :class:`DetectorSettings`).

    Args:
        probability: the network: ``(1, 1, h, w)`` float32 input → ``(h / s, w / s)`` probability map.
        gray: the page, ``(H, W)`` uint8.
    """
    x, scale = resize_for_detector(gray, settings)
    boxes, scores = boxes_from_map(probability(x), scale, settings, gray.shape)
    if scale >= 1.0:
        return boxes, scores
    sides = [sorted((np.hypot(*(b[1] - b[0])), np.hypot(*(b[3] - b[0])))) for b in boxes]
    median = float(np.median([s[0] for s in sides])) * scale if sides else 0.0
    area = sum(s[0] * s[1] for s in sides)
    blob_area = sum(s[0] * s[1] for s in sides if s[1] < 2 * s[0] or s[0] * scale > 6 * settings.good_text)
    blobs = bool(sides) and blob_area > 0.5 * area
    if boxes and median >= settings.small_text and not blobs:
        return boxes, scores
    # Too small to read well, or blobs rather than lines (small dense lines run together): look closer.
    target = scale * settings.good_text / median if boxes and not blobs else 1.0
    target = min(target, 1.0, settings.max_side_large / max(gray.shape))
    if target < scale * 1.25:
        return boxes, scores
    x, target = resize_for_detector(gray, settings, target)
    return boxes_from_map(probability(x), target, settings, gray.shape)
