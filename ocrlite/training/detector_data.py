"""Training samples for the line detector: pages (synthetic, or real annotated scans) made into scenes,
scaled, cropped, with their DB targets. Sample ``i`` is a pure function of ``(seed, i)``, so a resumed
run sees exactly the batches it would have seen.

The mix and why:

- **synthetic pages** (``1 - real_ratio``, default 60 %): documents in columns, tables and receipts in
  the training fonts with text of six languages — every layout and face the recognizer reads, with
  exact boxes, composited onto drawn backgrounds (:mod:`ocrlite.synth.scenes`);
- **real scans** (``real_ratio``, 40 %, when ``--pages`` sets are given): real receipts' print, paper and
  annotation style (SROIE's boxes are the ones the benchmark measures against), composited onto the same
  backgrounds, so real print is also seen turned, on a desk and under a lamp.

Line heights are drawn uniformly between 10 and 44 pixels at the network's input (small print on a
whole photographed page to large headings), then a ``crop``-sized window is cut around a random line.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from ocrlite.datasets.page_sets import AnnotatedPage
from ocrlite.nn.detector import LineDetector
from ocrlite.recognition.charset import CHARSET_V2, Charset
from ocrlite.synth.pages import PageRenderer
from ocrlite.synth.scenes import compose_scene
from ocrlite.training.db_targets import make_targets
from ocrlite.training.resumable import BatchStream

MEAN, STD = 0.5, 0.5
LINE_HEIGHTS = (10.0, 44.0)


@dataclass
class DetectorBatch:
    images: torch.Tensor   # (B, 1, crop, crop) normalised
    targets: torch.Tensor  # (B, 4, crop / 2, crop / 2)


def line_height(poly: np.ndarray) -> float:
    return float(min(cv2.minAreaRect(poly.astype(np.float32))[1])) if len(poly) >= 3 else 0.0


def scale_page(image: np.ndarray, polys: list[np.ndarray], factor: float) -> tuple[np.ndarray, list[np.ndarray]]:
    h, w = image.shape
    nh, nw = max(8, int(round(h * factor))), max(8, int(round(w * factor)))
    out = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    return out, [p * np.float32([nw / w, nh / h]) for p in polys]


class DetectorSamples(BatchStream):
    """Endless batches for the detector, starting at ``start_batch``; worker ``k`` of ``n`` makes batches
    ``k, k + n, …`` (DataLoader hands them out in order).

    Args:
        pages: annotated real pages (may be empty).
        real_ratio: share of samples drawn from ``pages``.
        fonts: font folder for synthetic pages (None: the shipped training fonts).
    """

    def __init__(self, seed: int, batch_size: int, crop: int, pages: list[AnnotatedPage], real_ratio: float,
                 start_batch: int = 0, fonts: str | None = None) -> None:
        self.seed, self.batch_size, self.crop = seed, batch_size, crop
        self.pages, self.real_ratio = pages, real_ratio if pages else 0.0
        self.start_batch, self.fonts = start_batch, fonts
        self._renderer: PageRenderer | None = None
        self._cache: dict[int, np.ndarray] = {}

    def renderer(self) -> PageRenderer:
        if self._renderer is None:
            from ocrlite.synth.fonts import FONT_DIR

            self._renderer = PageRenderer(self.fonts or str(FONT_DIR), charset=Charset(CHARSET_V2), receipt_fields=True)
        return self._renderer

    def _real(self, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
        k = int(rng.integers(len(self.pages)))
        if k not in self._cache:
            self._cache[k] = self.pages[k].load()
        page = self.pages[k]
        return self._cache[k], [ln.corners for ln in page.lines], [ln.ignore for ln in page.lines]

    def _synthetic(self, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray], list[bool]]:
        page = self.renderer().render(rng, skew=float(rng.normal(0, 1)), degrade=False)
        return page.image, [q for _, q in page.lines], [False] * len(page.lines)

    def sample(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Sample ``index``: ``(crop, crop)`` uint8 image and ``(4, crop/2, crop/2)`` targets."""
        rng = np.random.default_rng((self.seed, index))
        image, polys, ignore = self._real(rng) if rng.random() < self.real_ratio else self._synthetic(rng)
        heights = [line_height(p) for p, ig in zip(polys, ignore) if not ig]
        median = float(np.median(heights)) if heights else 20.0
        image, polys = scale_page(image, polys, rng.uniform(*LINE_HEIGHTS) / max(median, 1.0))
        back = self._synthetic(rng)[0] if rng.random() < 0.2 else None
        scene = compose_scene(image, polys, rng, ignore, back=back, window=self.crop)
        crop, polys = scene.image, scene.polygons
        stride = LineDetector.output_stride
        targets = make_targets((self.crop // stride, self.crop // stride), [p / stride for p in polys], scene.ignore)
        return crop, targets

    def batch(self, number: int) -> DetectorBatch:
        items = [self.sample(number * self.batch_size + j) for j in range(self.batch_size)]
        images = np.stack([im for im, _ in items]).astype(np.float32)[:, None] / 255.0
        return DetectorBatch(torch.from_numpy((images - MEAN) / STD), torch.from_numpy(np.stack([t for _, t in items])))
