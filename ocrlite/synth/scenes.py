"""Pages as people photograph and scan them: a page with known line polygons, composited onto a drawn
background and turned, warped, lit and damaged — with the polygons carried through every step.

Each step and why it is there (what users point a phone or scanner at):

- **show-through** (30 %): the back side's text, mirrored and faint, as on thin receipt paper;
- **paper tone** : paper is never pure white (0.75–1.0 of white);
- **background** (75 % of scenes; the rest are plain scans): scanner lids grey and black (the receipt is a
  white strip on a dark page), wood grain, woven fabric, desk clutter (other papers and objects without text);
- **geometry**: any rotation (a quarter of scenes near 90°, 180° or 270° — phones and scanners turn pages),
  perspective (a photo from an angle), curls and folds (a smooth mesh warp);
- **light**: uneven illumination and a shadow edge (a lamp, a hand, a phone);
- **capture**: blur, sensor noise, JPEG.

Everything is drawn procedurally from ``rng`` (no photo files ship or are downloaded), so a scene is a
pure function of its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Polygon = np.ndarray  # (N, 2) float32 x, y


@dataclass
class Scene:
    """A drawn scene: ``(H, W)`` uint8 image, each line's polygon in its pixels, and which lines to ignore
    in training (unreadable annotations such as SROIE's ``###``)."""

    image: np.ndarray
    polygons: list[Polygon]
    ignore: list[bool]
    rotation: float  # degrees the page was turned (counter-clockwise)


BACKGROUNDS = ("lid_grey", "lid_black", "wood", "fabric", "clutter", "paper")


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a ``cells``-wide random grid upsampled with cubic interpolation."""
    grid = rng.random((max(2, cells * h // max(h, w) + 2), max(2, cells * w // max(h, w) + 2))).astype(np.float32)
    return np.clip(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC), 0, 1)


def draw_background(rng: np.random.Generator, h: int, w: int, kind: str | None = None) -> np.ndarray:
    """One procedural background ``(h, w)`` float32 in [0, 255] of ``kind`` (random if None)."""
    kind = kind or BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    if kind in ("lid_grey", "lid_black"):
        level = rng.uniform(90, 170) if kind == "lid_grey" else rng.uniform(5, 50)
        bg = np.full((h, w), level, np.float32) + (_smooth_noise(rng, h, w, 4) - 0.5) * rng.uniform(5, 30)
    elif kind == "wood":
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        u = xx * np.cos(angle) + yy * np.sin(angle)
        warp = (_smooth_noise(rng, h, w, 6) - 0.5) * rng.uniform(20, 80)
        period = rng.uniform(6, 30)
        grain = 0.5 + 0.5 * np.sin((u + warp) * 2 * np.pi / period)
        base = rng.uniform(60, 180)
        bg = base + (grain - 0.5) * rng.uniform(20, 70) + (_smooth_noise(rng, h, w, 8) - 0.5) * 30
    elif kind == "fabric":
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        p1, p2 = rng.uniform(3, 10), rng.uniform(3, 10)
        weave = np.sin(xx * 2 * np.pi / p1) * np.sin(yy * 2 * np.pi / p2)
        bg = rng.uniform(50, 200) + weave * rng.uniform(8, 30) + (_smooth_noise(rng, h, w, 5) - 0.5) * 40
    elif kind == "clutter":
        bg = np.full((h, w), rng.uniform(40, 200), np.float32)
        for _ in range(int(rng.integers(3, 12))):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            size = (rng.uniform(0.05, 0.4) * w, rng.uniform(0.05, 0.4) * h)
            box = cv2.boxPoints(((cx, cy), size, rng.uniform(0, 180))).astype(np.int32)
            if rng.random() < 0.5:
                cv2.fillConvexPoly(bg, box, float(rng.uniform(0, 255)))
            else:
                cv2.ellipse(bg, (int(cx), int(cy)), (int(size[0] / 2), int(size[1] / 2)), rng.uniform(0, 180), 0, 360,
                            float(rng.uniform(0, 255)), -1)
        bg = cv2.GaussianBlur(bg, (0, 0), rng.uniform(0.5, 3))
    elif kind == "paper":  # a blank sheet under the page, a bit darker or lighter
        bg = np.full((h, w), rng.uniform(150, 240), np.float32) + (_smooth_noise(rng, h, w, 3) - 0.5) * 20
    else:
        raise ValueError(f"unknown background {kind!r}; choose one of: {', '.join(BACKGROUNDS)}")
    return np.clip(bg + rng.normal(0, rng.uniform(1, 6), (h, w)), 0, 255).astype(np.float32)


def _transform(polygons: list[Polygon], m: np.ndarray) -> list[Polygon]:
    """Apply a 3×3 homography to every polygon."""
    out = []
    for p in polygons:
        q = cv2.perspectiveTransform(p.reshape(-1, 1, 2).astype(np.float64), m).reshape(-1, 2)
        out.append(q.astype(np.float32))
    return out


def _densify(poly: Polygon, n: int = 6) -> Polygon:
    """Points along each edge of a 4-corner box, so a curved warp bends it (kept as a polygon)."""
    if len(poly) != 4:
        return poly
    pts = []
    for a, b in zip(poly, np.roll(poly, -1, axis=0)):
        steps = n if np.linalg.norm(b - a) > 3 * np.linalg.norm(poly[3] - poly[0]) / 2 else 1
        for t in np.linspace(0, 1, steps, endpoint=False):
            pts.append(a + (b - a) * t)
    return np.asarray(pts, np.float32)


def _mesh_warp(image: np.ndarray, polygons: list[Polygon], rng: np.random.Generator, fill: float
               ) -> tuple[np.ndarray, list[Polygon]]:
    """A smooth curl or fold: ``dst(x, y) = src(x + dx, y + dy)`` with low-frequency (dx, dy).

    Polygons move forward: a point ``p`` goes to the ``q`` with ``q + d(q) = p`` (a few fixed-point steps).
    """
    h, w = image.shape
    amp = rng.uniform(0.005, 0.03) * max(h, w)
    dx = (cv2.resize(rng.normal(0, 1, (4, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)) * amp
    dy = (cv2.resize(rng.normal(0, 1, (4, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)) * amp
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    warped = cv2.remap(image, xx + dx, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    moved = []
    for p in polygons:
        q = p.copy()
        for _ in range(4):
            xi = np.clip(q[:, 0], 0, w - 1).astype(np.int32)
            yi = np.clip(q[:, 1], 0, h - 1).astype(np.int32)
            q = p - np.stack([dx[yi, xi], dy[yi, xi]], 1)
        moved.append(q.astype(np.float32))
    return warped, moved


def _light(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape
    gain = 1 - _smooth_noise(rng, h, w, 3) * rng.uniform(0.1, 0.5)
    if rng.random() < 0.3:  # a shadow edge
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        a = rng.uniform(0, 2 * np.pi)
        side = (xx - rng.uniform(0, w)) * np.cos(a) + (yy - rng.uniform(0, h)) * np.sin(a)
        soft = rng.uniform(2, 40)
        gain *= 1 - rng.uniform(0.2, 0.55) * (0.5 + 0.5 * np.tanh(side / (2 * soft)))  # a sigmoid that cannot overflow
    return image * gain


def _capture(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = image.astype(np.float32)
    if rng.random() < 0.7:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.5))
    out += rng.normal(0, rng.uniform(0, 8), out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 95))])
        if ok:
            out = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return out


def _rotation(rng: np.random.Generator) -> float:
    if rng.random() < 0.25:
        return float(rng.choice([90, 180, 270]) + rng.normal(0, 3))
    return float(rng.normal(0, 6) if rng.random() < 0.8 else rng.uniform(-45, 45))


def compose_scene(page: np.ndarray, polygons: list[Polygon], rng: np.random.Generator,
                  ignore: list[bool] | None = None, back: np.ndarray | None = None, plain: bool | None = None,
                  rotation: float | None = None, window: int | None = None) -> Scene:
    """Turn a page ``(H, W)`` uint8 with line ``polygons`` into a scan or photo (see the module docstring).

    Args:
        back: another page whose mirrored text may show through (None: none).
        plain: a plain scan (page fills the image; True), on a background (False), or random (None).
        rotation: degrees counter-clockwise (None: random, a quarter of the time near a right angle).
        window: draw only a ``window`` × ``window`` part of the scene — around a random line 80 % of the
            time — at the cost of that part (training crops), not of the whole scene.
    """
    ignore = list(ignore) if ignore is not None else [False] * len(polygons)
    img = page.astype(np.float32)
    if back is not None and rng.random() < 0.3:
        mirrored = cv2.resize(back, (img.shape[1], img.shape[0]))[:, ::-1].astype(np.float32)
        img = np.minimum(img, 255 - (255 - mirrored) * rng.uniform(0.05, 0.25))
    img = img * rng.uniform(0.75, 1.0)
    h, w = img.shape
    plain = bool(rng.random() < 0.25) if plain is None else plain
    rotation = _rotation(rng) if rotation is None else rotation
    polys = [_densify(p) for p in polygons]
    # Page corners → canvas: rotate about the centre, then a perspective jitter.
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), rotation, 1.0)
    corners = np.hstack([src, np.ones((4, 1), np.float32)]) @ rot.T
    jitter = 0.0 if plain else rng.uniform(0, 0.08)
    size = max(w, h)
    corners += rng.uniform(-jitter, jitter, corners.shape) * size
    margin = rng.uniform(0.0, 0.03) if plain else rng.uniform(0.05, 0.4)
    lo = corners.min(0) - margin * size
    dst = (corners - lo).astype(np.float32)
    cw, ch = (corners.max(0) + margin * size - lo).astype(int) + 1
    m = cv2.getPerspectiveTransform(src, dst)
    polys = _transform(polys, m)
    if window is not None:  # move the window's corner to the origin: only the window is drawn
        usable = [p for p, ig in zip(polys, ignore) if not ig]
        if usable and rng.random() < 0.8:
            cx, cy = usable[int(rng.integers(len(usable)))].mean(0) + rng.uniform(-window / 3, window / 3, 2)
        else:
            cx, cy = rng.uniform(0, cw), rng.uniform(0, ch)
        x0, y0 = cx - window / 2, cy - window / 2
        shift = np.float64([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]])
        m = shift @ m
        polys = [p - np.float32([x0, y0]) for p in polys]
        cw = ch = window
    paper = cv2.warpPerspective(img, m, (int(cw), int(ch)), flags=cv2.INTER_LINEAR, borderValue=0)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), m, (int(cw), int(ch)), flags=cv2.INTER_LINEAR)
    bg = np.full((int(ch), int(cw)), 255 * rng.uniform(0.85, 1.0), np.float32) if plain else \
        draw_background(rng, int(ch), int(cw))
    canvas = bg * (1 - mask) + paper * mask
    if not plain and rng.random() < 0.35:
        canvas, polys = _mesh_warp(canvas, polys, rng, float(bg.mean()))
    canvas = _light(canvas, rng) if rng.random() < 0.6 else canvas
    return Scene(_capture(canvas, rng), polys, ignore, rotation)
