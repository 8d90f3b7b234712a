"""PDF pages as images, rendered with PDFium (pypdfium2: no Ghostscript, nothing run outside the process).

A page is rendered in grayscale at ``dpi`` (300 by default), lowered when needed so it stays under the
one pixel limit (:data:`ocrlite.utils.limits.MAX_IMAGE_PIXELS`; the page's size in points is read
before anything is drawn). An encrypted, damaged or empty file is one :class:`PdfError`; a page that
fails to render is reported for that page alone, and the others are still read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ocrlite.utils.limits import MAX_IMAGE_PIXELS

#: Default rendering resolution (a scan's usual resolution; 200–300 is what OCR engines ask for).
DEFAULT_DPI = 300
#: Pages one PDF may hold before it is refused unread (a document, not an archive).
MAX_PDF_PAGES = 10_000


class PdfError(Exception):
    """A PDF that cannot be read at all (encrypted, damaged, not a PDF, too many pages); ``str`` says why."""


@dataclass
class PdfPage:
    """One rendered page: its 1-based number, ``(H, W)`` uint8 image (or None) and the error that stopped it."""

    number: int
    image: np.ndarray | None = None
    dpi: float = DEFAULT_DPI
    error: str | None = None


def is_pdf(path: str | Path) -> bool:
    """The file starts like a PDF (``%PDF-`` within its first kilobyte), whatever its name."""
    try:
        with open(path, "rb") as f:
            return b"%PDF-" in f.read(1024)
    except OSError:
        return False


def parse_page_ranges(spec: str | None, count: int) -> list[int]:
    """``"1-3,7"`` → ``[1, 2, 3, 7]`` (1-based, in order, repeats dropped); None or ``""``: every page.

    Raises:
        ValueError: a range that is not ``N`` or ``N-M`` with 1 <= N <= M, or a page past ``count``.
    """
    if not spec:
        return list(range(1, count + 1))
    pages: list[int] = []
    for part in spec.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(f"--pages {spec!r}: expected page numbers and ranges such as 1-3,7")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if first < 1 or last < first:
            raise ValueError(f"--pages {spec!r}: {part.strip()} is not a range of pages from 1")
        if last > count:
            raise ValueError(f"--pages {spec!r}: the document has {count} page{'s' if count != 1 else ''}")
        pages += [p for p in range(first, last + 1) if p not in pages]
    return pages


def page_count(path: str | Path, password: str | None = None) -> int:
    """Pages of a PDF.

    Raises:
        PdfError: not readable (see :class:`PdfError`).
    """
    return len(_open(path, password))


def _open(path: str | Path | bytes, password: str | None, name: str | None = None):
    import pypdfium2 as pdfium

    if isinstance(path, (bytes, bytearray)):
        source, path = bytes(path), name or "the PDF"
    else:
        source = str(path)
    try:
        document = pdfium.PdfDocument(source, password=password)
    except pdfium.PdfiumError as err:
        text = str(err).lower()
        if "password" in text or "security" in text:
            raise PdfError(f"{path}: encrypted PDF (a password is needed to read it)") from None
        raise PdfError(f"{path}: not a readable PDF ({err})") from None
    except (OSError, ValueError) as err:
        raise PdfError(f"{path}: cannot open ({err})") from None
    if len(document) == 0:
        raise PdfError(f"{path}: the PDF has no pages")
    if len(document) > MAX_PDF_PAGES:
        raise PdfError(f"{path}: {len(document)} pages, over the {MAX_PDF_PAGES} a document may hold")
    return document


def render_pages(path: str | Path | bytes, pages: str | None = None, dpi: float = DEFAULT_DPI,
                 max_pixels: int = MAX_IMAGE_PIXELS, password: str | None = None, name: str | None = None,
                 max_count: int | None = None) -> Iterator[PdfPage]:
    """Render the chosen pages of a PDF one at a time (memory holds one page).

    Args:
        path: the PDF file, or its bytes (``name`` then names it in errors).
        pages: ``"1-3,7"`` style ranges (None: all).
        dpi: rendering resolution; lowered for a page whose rendering would pass ``max_pixels``.
        max_count: refuse (before rendering any) a choice of more pages than this.

    Raises:
        PdfError: the document cannot be read at all, or more than ``max_count`` pages are chosen.
        ValueError: a bad ``pages`` range or ``dpi``.
    """
    if not (isinstance(dpi, (int, float)) and 10 <= dpi <= 1200):
        raise ValueError(f"--dpi must be between 10 and 1200, got {dpi}")
    document = _open(path, password, name)
    chosen = parse_page_ranges(pages, len(document))
    if max_count is not None and len(chosen) > max_count:
        raise PdfError(f"{name or path}: {len(chosen)} pages chosen, over the limit of {max_count} per request; "
                       f"choose some with pages=, e.g. pages=1-{max_count}")
    for number in chosen:
        try:
            page = document[number - 1]
            width_pt, height_pt = page.get_size()
            scale = dpi / 72.0
            if width_pt * height_pt * scale * scale > max_pixels:  # the one pixel limit, before drawing
                scale = (max_pixels / max(width_pt * height_pt, 1.0)) ** 0.5
                while math.ceil(width_pt * scale) * math.ceil(height_pt * scale) > max_pixels:  # the renderer rounds up
                    scale *= 0.995
            bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
            image = np.array(bitmap.to_pil().convert("L"))
            yield PdfPage(number, image, scale * 72.0)
        except Exception as err:  # noqa: BLE001 - one damaged page must not stop the document
            yield PdfPage(number, error=f"page {number}: cannot render ({type(err).__name__}: {err})")
