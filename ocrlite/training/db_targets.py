"""DB training targets and loss (Liao et al. 2020), for :class:`ocrlite.nn.detector.LineDetector`.

For each line polygon (in output-map cells):

- **probability target**: the polygon shrunk by ``D = A (1 - r²) / L`` (area A, perimeter L, shrink
  ratio r; offset with pyclipper), filled with 1;
- **threshold target**: inside the polygon grown by D, ``1 - distance to the polygon's border / D``,
  mapped to [0.3, 0.7] (high on the border, so the learned threshold separates touching lines);
- **masks**: ignored lines (``###``) and degenerate shrinks are left out of the probability loss.

Loss: balanced BCE on the probability map (every positive, the hardest 3× as many negatives) + dice
on the approximate binary map + 10 × L1 on the threshold map inside the grown polygons.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyclipper
import torch

#: DB's shrink ratio r (0.4 in the paper at full resolution; 0.6 keeps a kernel at half resolution).
SHRINK_RATIO = 0.6
THRESH_MIN, THRESH_MAX = 0.3, 0.7


def offset_polygon(poly: np.ndarray, distance: float) -> list[np.ndarray]:
    """``poly`` grown (distance > 0) or shrunk (< 0) by ``distance``, with round joins (pyclipper)."""
    pco = pyclipper.PyclipperOffset()
    pco.AddPath([tuple(p) for p in np.round(poly).astype(np.int64).tolist()], pyclipper.JT_ROUND,
                pyclipper.ET_CLOSEDPOLYGON)
    return [np.asarray(p, np.float32) for p in pco.Execute(distance)]


def shrink_distance(poly: np.ndarray, ratio: float = SHRINK_RATIO) -> float:
    area = abs(cv2.contourArea(poly.astype(np.float32)))
    length = cv2.arcLength(poly.astype(np.float32), True)
    return area * (1 - ratio ** 2) / max(length, 1e-6)


def make_targets(shape: tuple[int, int], polygons: list[np.ndarray], ignore: list[bool],
                 ratio: float = SHRINK_RATIO) -> np.ndarray:
    """``(4, h, w)`` float32: probability target, its mask, threshold target, its mask (polygons in cells)."""
    h, w = shape
    prob = np.zeros((h, w), np.float32)
    prob_mask = np.ones((h, w), np.float32)
    thresh = np.zeros((h, w), np.float32)
    thresh_mask = np.zeros((h, w), np.float32)
    for poly, skip in zip(polygons, ignore):
        poly = poly.astype(np.float32)
        height = min(cv2.minAreaRect(poly)[1]) if len(poly) >= 3 else 0
        if skip or height < 2:
            cv2.fillPoly(prob_mask, [np.round(poly).astype(np.int32)], 0.0)
            continue
        d = shrink_distance(poly, ratio)
        shrunk = offset_polygon(poly, -d)
        if not shrunk:
            cv2.fillPoly(prob_mask, [np.round(poly).astype(np.int32)], 0.0)
            continue
        cv2.fillPoly(prob, [np.round(s).astype(np.int32) for s in shrunk], 1.0)
        grown = offset_polygon(poly, d)
        if not grown:
            continue
        big = grown[0]
        cv2.fillPoly(thresh_mask, [np.round(big).astype(np.int32)], 1.0)
        x0, y0 = np.floor(big.min(0)).astype(int)
        x1, y1 = np.ceil(big.max(0)).astype(int)
        bw, bh = x1 - x0 + 1, y1 - y0 + 1
        if bw <= 1 or bh <= 1:
            continue
        border = np.full((bh, bw), 255, np.uint8)
        cv2.polylines(border, [np.round(poly - [x0, y0]).astype(np.int32)], True, 0, 1)
        dist = cv2.distanceTransform(border, cv2.DIST_L2, 3)
        local = np.clip(1 - dist / max(d, 1e-6), 0, 1)
        ys, xs = slice(max(y0, 0), min(y1 + 1, h)), slice(max(x0, 0), min(x1 + 1, w))
        if ys.start >= ys.stop or xs.start >= xs.stop:
            continue
        crop = local[ys.start - y0: ys.stop - y0, xs.start - x0: xs.stop - x0]
        thresh[ys, xs] = np.maximum(thresh[ys, xs], crop)
    thresh = thresh * (THRESH_MAX - THRESH_MIN) + THRESH_MIN
    return np.stack([prob, prob_mask, thresh, thresh_mask])


def db_loss(maps: torch.Tensor, targets: torch.Tensor, negative_ratio: float = 3.0) -> tuple[torch.Tensor, dict]:
    """DB loss of ``maps`` ``(B, 3, h, w)`` (probability, threshold, binary) against ``targets`` ``(B, 4, h, w)``.

    Returns the total and its parts (floats) for the log.
    """
    prob, thresh, binary = maps[:, 0], maps[:, 1], maps[:, 2]
    gt, mask, gt_thresh, thresh_mask = targets[:, 0], targets[:, 1], targets[:, 2], targets[:, 3]
    positive = gt * mask
    negative = (1 - gt) * mask
    n_pos = int(positive.sum())
    n_neg = min(int(negative.sum()), int(max(n_pos, 1) * negative_ratio))
    bce = torch.nn.functional.binary_cross_entropy(prob.clamp(1e-6, 1 - 1e-6), gt, reduction="none")
    pos_loss = (bce * positive).sum()
    neg_loss = torch.topk((bce * negative).flatten(), n_neg).values.sum() if n_neg > 0 else bce.sum() * 0
    loss_prob = (pos_loss + neg_loss) / (n_pos + n_neg + 1e-6)
    inter = (binary * gt * mask).sum()
    union = (binary * mask).sum() + (gt * mask).sum() + 1e-6
    loss_binary = 1 - 2 * inter / union
    loss_thresh = (torch.abs(thresh - gt_thresh) * thresh_mask).sum() / (thresh_mask.sum() + 1e-6)
    total = loss_prob + loss_binary + 10 * loss_thresh
    return total, {"prob": loss_prob.item(), "binary": loss_binary.item(), "thresh": loss_thresh.item()}
