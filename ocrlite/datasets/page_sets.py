"""Page sets: whole pages with their annotated text lines, for training and measuring line detectors.

Two layouts are read:

- the ``sroie_pages`` layout: ``images/NAME.jpg`` (any image suffix) and ``boxes/NAME.csv``;
- a folder of images with a box file beside each: ``NAME.jpg`` and ``NAME.csv`` or ``NAME.txt``
  (ICDAR 2015 style ``gt_NAME.txt`` is found too).

A box file has one line per row: ``x1,y1,x2,y2,x3,y3,x4,y4,TEXT`` — four corners clockwise from the
top-left of the text, in pixels; TEXT is everything after the eighth comma (it may hold commas). A UTF-8
byte-order mark is skipped. TEXT ``###`` marks an unreadable line (ignored by training and scoring, as in
ICDAR). Rows that are not eight numbers and a text are counted and skipped, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ocrlite.inputs.images import IMAGE_EXTENSIONS, load_gray

#: The text that marks a line nobody could read.
DONT_CARE = "###"


@dataclass
class PageLine:
    """An annotated line: ``(4, 2)`` float32 corners and its text (``ignore``: a ``###`` line)."""

    corners: np.ndarray
    text: str

    @property
    def ignore(self) -> bool:
        return self.text.strip() == DONT_CARE


@dataclass
class AnnotatedPage:
    """One page of a set: the image's path and its annotated lines (the image is read on demand)."""

    image_path: Path
    lines: list[PageLine]
    skipped_rows: int = 0

    def load(self, max_pixels: int | None = None) -> np.ndarray:
        """The page as ``(H, W)`` uint8 (EXIF-upright)."""
        return load_gray(self.image_path) if max_pixels is None else load_gray(self.image_path, max_pixels=max_pixels)


@dataclass
class PageSet:
    pages: list[AnnotatedPage]
    missing_boxes: list[Path] = field(default_factory=list)

    @property
    def skipped_rows(self) -> int:
        return sum(p.skipped_rows for p in self.pages)


def read_box_file(path: Path) -> tuple[list[PageLine], int]:
    """Lines of one box file, and how many rows could not be read."""
    lines, skipped = [], 0
    for row in path.read_text(encoding="utf-8-sig", errors="replace").splitlines():
        if not row.strip():
            continue
        parts = row.split(",", 8)
        try:
            coords = np.asarray([float(v) for v in parts[:8]], np.float32).reshape(4, 2)
        except ValueError:
            skipped += 1
            continue
        if len(parts) < 8 or not np.isfinite(coords).all():
            skipped += 1
            continue
        lines.append(PageLine(coords, parts[8].strip() if len(parts) > 8 else ""))
    return lines, skipped


def _box_file_for(image: Path, boxes_dir: Path | None) -> Path | None:
    folder = boxes_dir or image.parent
    for name in (f"{image.stem}.csv", f"{image.stem}.txt", f"gt_{image.stem}.txt"):
        if (folder / name).is_file():
            return folder / name
    return None


def read_page_set(folder: str | Path) -> PageSet:
    """Every page of ``folder`` (either layout, see the module docstring), sorted by file name.

    Raises:
        ValueError: the folder does not exist or holds no image with a box file.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder of pages (expected images/ and boxes/, or images with box files)")
    image_dir, boxes_dir = (root / "images", root / "boxes") if (root / "images").is_dir() else (root, None)
    pages, missing = [], []
    for image in sorted(p for p in image_dir.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS):
        box_file = _box_file_for(image, boxes_dir)
        if box_file is None:
            missing.append(image)
            continue
        lines, skipped = read_box_file(box_file)
        pages.append(AnnotatedPage(image, lines, skipped))
    if not pages:
        raise ValueError(f"{root}: no image with a box file (NAME.jpg + NAME.csv, or images/ + boxes/)")
    return PageSet(pages, missing)
