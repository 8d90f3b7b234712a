"""A searchable PDF: each page's image with an invisible text layer over its words (fpdf2).

Every word is written in PDF text render mode 3 (invisible) at its box: the font size set so the text is as
tall as the box, stretched horizontally to the box's width, turned with the box on a skewed or sideways page.
Selecting, searching or copying in a viewer then lands on the word in the image, and ``pdftotext`` gives
back the text. The font is DejaVu Sans from the package's font library, embedded as a subset, so every
character ocrlite reads (accents, €, curly quotes) is kept as Unicode.

A page's physical size comes from its resolution: a rendered PDF page keeps its size; an image page uses the
resolution its file records, or 300 dpi.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ocrlite.formats.boxes import text_angle
from ocrlite.pages.reader import PageResult
from ocrlite.utils.resources import PACKAGE_DIR
from ocrlite.utils.version import __version__

#: The text layer's font (shipped with the font library; its licence is in ``data/fonts/licenses``).
TEXT_FONT = PACKAGE_DIR / "data" / "fonts" / "DejaVuSans.ttf"
#: Resolution assumed for an image that records none.
DEFAULT_DPI = 300.0
#: JPEG quality of the page images (a scan's detail at about a tenth of the raw size).
JPEG_QUALITY = 80
#: DejaVu Sans' ascent and descent, in ems: a box of height h holds text of size h / (ascent + descent).
ASCENT, DESCENT = 0.928, 0.236


class SearchablePdf:
    """A searchable PDF built page by page (each page image is compressed as it is added, so memory holds
    the compressed pages, not the images); :meth:`to_bytes` gives the file.

    Raises:
        ImportError: fpdf2 is not installed.
    """

    def __init__(self) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(unit="pt")
        self.pdf.set_creator(f"ocrlite {__version__}")
        self.pdf.set_producer(f"ocrlite {__version__} (fpdf2)")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(0, 0, 0)
        self.pdf.add_font("ocrlite-text", "", str(TEXT_FONT))
        self.pages = 0

    def add_page(self, result: PageResult, image: Image.Image | np.ndarray) -> None:
        """Add ``image`` (the page as read: the pixel size of ``result.size``) with ``result``'s words as text.

        Raises:
            ValueError: the image's size is not the reading's.
        """
        from fpdf.enums import TextMode

        pdf = self.pdf
        picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
        width, height = picture.size
        if result.size != (0, 0) and tuple(result.size) != (width, height):
            raise ValueError(f"page {result.page}: the image is {width}×{height} px, the reading {result.size[0]}×"
                             f"{result.size[1]} px")
        points_per_pixel = 72.0 / (result.dpi or DEFAULT_DPI)
        pdf.add_page(format=(width * points_per_pixel, height * points_per_pixel))
        data = io.BytesIO()
        picture.convert(picture.mode if picture.mode in ("L", "RGB") else "RGB").save(
            data, "JPEG", quality=JPEG_QUALITY, optimize=True)
        data.seek(0)
        pdf.image(data, x=0, y=0, w=width * points_per_pixel, h=height * points_per_pixel)
        pdf.text_mode = TextMode.INVISIBLE
        for line in result.lines:
            words = [(w.text, w.corners) for w in line.words] or [(line.text, line.box.corners)]
            for k, (text, corners) in enumerate(words):
                _place(pdf, text + (" " if k < len(words) - 1 else ""), np.asarray(corners) * points_per_pixel)
        pdf.text_mode = TextMode.FILL
        self.pages += 1

    def to_bytes(self) -> bytes:
        """The PDF file.

        Raises:
            ValueError: no page was added.
        """
        if not self.pages:
            raise ValueError("no page to write")
        return bytes(self.pdf.output())


def write_searchable_pdf(pages: Sequence[tuple[PageResult, Image.Image | np.ndarray]], out: str | Path) -> None:
    """Write one PDF with a page per ``(result, image)`` (see :class:`SearchablePdf`), atomically.

    Raises:
        ImportError: fpdf2 missing. ValueError: an image whose size is not its result's, or no pages.
        OutputError: the file cannot be written.
    """
    from ocrlite.utils.outputs import write_bytes_atomic

    document = SearchablePdf()
    for result, image in pages:
        document.add_page(result, image)
    write_bytes_atomic(Path(out), document.to_bytes())


def _place(pdf, text: str, corners: np.ndarray) -> None:
    """``text`` invisible over ``corners`` ``(4, 2)`` (points, clockwise from the text's top-left)."""
    p0, p1, _, p3 = corners.astype(np.float64)
    width = float(np.hypot(*(p1 - p0)))
    height = float(np.hypot(*(p3 - p0)))
    if width < 0.5 or height < 0.5 or not text.strip():
        return
    size = height / (ASCENT + DESCENT)
    pdf.set_font("ocrlite-text", size=size)
    natural = pdf.get_string_width(text.rstrip())
    pdf.set_stretching(max(1.0, 100.0 * width / natural) if natural > 0 else 100.0)
    down = (p3 - p0) / height  # from the top edge towards the baseline
    baseline = p0 + down * (height * ASCENT / (ASCENT + DESCENT))
    angle = text_angle(corners)
    x, y = float(baseline[0]), float(baseline[1])
    if abs(math.remainder(angle, 360.0)) < 0.05:
        pdf.text(x, y, text)
    else:
        with pdf.rotation(angle, x, y):
            pdf.text(x, y, text)
    pdf.set_stretching(100.0)
