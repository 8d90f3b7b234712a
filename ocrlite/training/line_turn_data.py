"""Training samples for the line-turn classifier: lines upright or turned round, each a pure function of
``(seed, index)`` so that a resumed run sees exactly the batches it would have seen.

The mix and why:

- **synthetic lines** (``1 - real_ratio``, default 70 %): the recognizer's own generator (every face, text
  source, language and damage the recognizer trains on), so the classifier knows every shape a line can
  take — prose with descenders, capitals-only receipts, digits, accents above and cedillas below;
- **real receipt lines** (``real_ratio``, 30 %, when ``--pages`` sets are given): annotated lines of real
  scans cut out as the page reader cuts a detected box (:func:`ocrlite.pages.learned.cut_line`, with the
  corners jittered by up to a tenth of the line's height, as a detector's box is never exact), so thermal
  print, scanner noise and the neighbouring lines' edges are seen too.

Half of all samples are turned round (180°); the label is 1 for those. A line longer than a window is
seen through one window at a random place along it (at inference, the mean of three).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ocrlite.datasets.page_sets import AnnotatedPage
from ocrlite.pages.learned import cut_line
from ocrlite.recognition.charset import CHARSET_V2, Charset
from ocrlite.recognition.line_turn import line_windows
from ocrlite.synth.generator import GeneratorConfig, LineGenerator
from ocrlite.training.resumable import BatchStream

#: Real pages a batch draws its real lines from (loading a scan costs more than cutting many lines of it).
PAGES_PER_BATCH = 2


@dataclass
class LineTurnBatch:
    windows: torch.Tensor  # (B, 1, 32, 256) in [-1, 1]
    turned: torch.Tensor   # (B,) float: 1 upside down, 0 upright


def jittered(corners: np.ndarray, rng: np.random.Generator, amount: float = 0.1) -> np.ndarray:
    """``(4, 2)`` corners each moved by up to ``amount`` of the box's height in x and y."""
    height = float(np.hypot(*(corners[3] - corners[0])))
    return corners + rng.uniform(-amount, amount, size=(4, 2)).astype(np.float32) * height


class LineTurnSamples(BatchStream):
    """Endless batches of line windows upright or turned round, starting at batch ``start_batch``; worker
    ``k`` of ``n`` makes batches ``k, k + n, …`` (DataLoader hands them out in order).

    Args:
        seed: seed of the sample stream.
        batch_size: windows per batch.
        pages: annotated real pages (may be empty).
        real_ratio: share of each batch cut from ``pages``.
        fonts: font folder of the synthetic lines (None: the shipped training fonts).
    """

    def __init__(self, seed: int, batch_size: int, pages: list[AnnotatedPage], real_ratio: float,
                 start_batch: int = 0, fonts: str | None = None) -> None:
        self.seed, self.batch_size, self.pages = seed, batch_size, pages
        self.real_ratio = real_ratio if pages else 0.0
        self.start_batch, self.fonts = start_batch, fonts
        self._generator: LineGenerator | None = None

    def generator(self) -> LineGenerator:
        if self._generator is None:
            config = GeneratorConfig(fonts=self.fonts) if self.fonts else GeneratorConfig()
            self._generator = LineGenerator(Charset(CHARSET_V2), config)
        return self._generator

    def _real_lines(self, rng: np.random.Generator, n: int) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        picks = rng.integers(len(self.pages), size=PAGES_PER_BATCH)
        for k, page_index in enumerate(picks):
            page = self.pages[int(page_index)]
            lines = [ln for ln in page.lines if not ln.ignore]
            want = n // PAGES_PER_BATCH + (1 if k < n % PAGES_PER_BATCH else 0)
            if not lines or not want:
                continue
            gray = page.load()
            for j in rng.integers(len(lines), size=want):
                crop = cut_line(gray, jittered(lines[int(j)].corners.astype(np.float32), rng))
                if crop.shape[0] >= 4 and crop.shape[1] >= 4:
                    out.append(crop)
        return out

    def batch(self, number: int) -> LineTurnBatch:
        rng = np.random.default_rng((self.seed, number))
        n_real = int(rng.binomial(self.batch_size, self.real_ratio)) if self.real_ratio else 0
        crops = self._real_lines(rng, n_real) if n_real else []
        first = number * self.batch_size
        crops += [self.generator().generate(self.seed, first + j)[0] for j in range(self.batch_size - len(crops))]
        turned = rng.random(len(crops)) < 0.5
        windows = [line_windows(c[::-1, ::-1] if t else c, offsets=[float(rng.random())])[0]
                   for c, t in zip(crops, turned)]
        return LineTurnBatch(torch.from_numpy(np.stack(windows)[:, None]), torch.from_numpy(turned.astype(np.float32)))
