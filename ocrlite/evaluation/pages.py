"""Scoring a page reader on annotated page sets (:mod:`ocrlite.datasets.page_sets`).

Per set: detection precision / recall / H-mean (ICDAR 2015 protocol: one-to-one matches at IoU >= 0.5
of the rotated boxes, ``###`` lines counted on neither side; :func:`ocrlite.pages.scoring.score_detection`),
page CER with each annotated line scored against the text read where it stands, page CER as a bag of
lines (:func:`ocrlite.pages.scoring.score_page`; case folded, as the annotations are upper case), and
seconds per page (the page decoded before the clock starts). A page that cannot be read is reported
with its reason and the others are still scored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ocrlite.datasets.page_sets import PageSet
from ocrlite.pages.scoring import DetectionScore, PageScore, quad_box, score_detection, score_page

#: A page reader: ``(H, W)`` uint8 page → ``[(corners (4, 2), text)]``.
PageReadFn = Callable[[np.ndarray], list[tuple[np.ndarray, str]]]


@dataclass
class PageSetResult:
    name: str
    pages: int = 0
    detection: DetectionScore = field(default_factory=DetectionScore)
    text: PageScore = field(default_factory=PageScore)
    seconds: list[float] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def seconds_per_page(self) -> float:
        return float(np.median(self.seconds)) if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {"set": self.name, "pages": self.pages, "precision": round(self.detection.precision, 4),
                "recall": round(self.detection.recall, 4), "hmean": round(self.detection.hmean, 4),
                "page_cer": round(self.text.position_cer, 4), "bag_cer": round(self.text.bag_cer, 4),
                "line_recall_text": round(self.text.recall, 4), "seconds_per_page": round(self.seconds_per_page, 3),
                "failed": len(self.failed)}


def evaluate_pages(read: PageReadFn, pages: PageSet, name: str, limit: int | None = None) -> PageSetResult:
    """Run ``read`` on every page of ``pages`` (the first ``limit``) and score it."""
    result = PageSetResult(name)
    for page in pages.pages[:limit]:
        try:
            gray = page.load()
        except Exception as err:  # noqa: BLE001 - ImageLoadError and friends: reported, the rest go on
            result.failed.append((str(page.image_path), str(err)))
            continue
        start = time.perf_counter()
        try:
            found = read(gray)
        except ValueError as err:
            result.failed.append((str(page.image_path), str(err)))
            continue
        result.seconds.append(time.perf_counter() - start)
        result.pages += 1
        truth = [ln.corners for ln in page.lines]
        ignore = [ln.ignore for ln in page.lines]
        result.detection = result.detection + score_detection(truth, [c for c, _ in found], ignore)
        result.text = result.text + score_page([(ln.text, quad_box(ln.corners)) for ln in page.lines],
                                               [(t, quad_box(c)) for c, t in found])
    return result
