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

    def add_page(self, result: PageResult, image: Image.Image | np.ndarray | None) -> None:
        """Add ``image`` (the page as read: the pixel size of ``result.size``) with ``result``'s words as text;
        ``image`` None: the text alone on a page of ``result.size`` (a text layer to put over another PDF).

        Raises:
            ValueError: the image's size is not the reading's, or neither gives a size.
        """
        from fpdf.enums import TextMode

        pdf = self.pdf
        picture = None if image is None else image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
        width, height = picture.size if picture is not None else result.size
        if width <= 0 or height <= 0:
            raise ValueError(f"page {result.page}: no image and no page size")
        if result.size != (0, 0) and tuple(result.size) != (width, height):
            raise ValueError(f"page {result.page}: the image is {width}×{height} px, the reading {result.size[0]}×"
                             f"{result.size[1]} px")
        points_per_pixel = 72.0 / (result.dpi or DEFAULT_DPI)
        pdf.add_page(format=(width * points_per_pixel, height * points_per_pixel))
        if picture is not None:
            data = io.BytesIO()
            picture.convert(picture.mode if picture.mode in ("L", "RGB") else "RGB").save(
                data, "JPEG", quality=JPEG_QUALITY, optimize=True)
            data.seek(0)
            pdf.image(data, x=0, y=0, w=width * points_per_pixel, h=height * points_per_pixel)
        pdf.text_mode = TextMode.INVISIBLE
        for line in result.lines:
            _place_line(pdf, line, points_per_pixel)
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


def _place_line(pdf, line, points_per_pixel: float) -> None:
    """A line's words, invisible, each over its box (page pixels × ``points_per_pixel``).

    The text runs along the nearest quarter turn of the line (0, 90, 180 or 270°): a few degrees of skew are
    not drawn as tilted glyphs, which text extractors (pdftotext, PDFium) break into pieces, while each
    word still covers its own box for search highlights. The letters sit on the line's baseline where it is
    known, at the size that reaches from it to the top of the line's ink; each word but the last is followed
    by a space stretched with it to where the next word starts, so extractors see the space (as in
    Tesseract's PDFs).
    """
    words = [(w.text, np.asarray(w.corners, np.float64)) for w in line.words if w.text.strip()] or \
            [(line.text.strip(), np.asarray(line.box.corners, np.float64))]
    if not words[0][0]:
        return
    quarter = round(text_angle(line.box.corners) / 90.0) % 4 * 90
    a = math.radians(quarter)
    cos, sin = math.cos(a), math.sin(a)

    def to_text_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # u along the text, v down the glyphs
        points = points * points_per_pixel
        return points[:, 0] * cos - points[:, 1] * sin, points[:, 0] * sin + points[:, 1] * cos

    frames = [to_text_frame(corners) for _, corners in words]
    top = min(float(v.min()) for _, v in frames)
    bottom = max(float(v.max()) for _, v in frames)
    if line.baseline is not None and quarter == 0:
        bu, bv = to_text_frame(np.asarray(line.baseline, np.float64))
        slope = (bv[1] - bv[0]) / (bu[1] - bu[0]) if abs(bu[1] - bu[0]) > 1e-6 else 0.0

        def baseline_at(u: float) -> float:
            return float(bv[0] + slope * (u - bu[0]))
    else:
        def baseline_at(u: float) -> float:
            return bottom - (bottom - top) * DESCENT / (ASCENT + DESCENT)
    line_start = float(frames[0][0].min())
    rise = baseline_at(line_start) - top  # the line's letters from baseline to top: one size for the line
    size = rise / ASCENT if rise > 0.3 * (bottom - top) else (bottom - top) / (ASCENT + DESCENT)
    if size < 0.5:
        return
    for k, ((text, _), (u, v)) in enumerate(zip(words, frames)):
        start, width = float(u.min()), float(u.max() - u.min())
        base = baseline_at(start)
        if width < 0.5:
            continue
        if k + 1 < len(words):
            next_start = float(frames[k + 1][0].min())
            if next_start > start + width:  # the space spans the gap to the next word
                text, width = text + " ", next_start - start
        pdf.set_font("ocrlite-text", size=size)
        pdf.set_stretching(100.0)  # fpdf2 measures with the stretching in force
        natural = pdf.get_string_width(text)
        pdf.set_stretching(max(1.0, 100.0 * width / natural) if natural > 0 else 100.0)
        x, y = start * cos + base * sin, -start * sin + base * cos  # the word's baseline start on the page
        if quarter == 0:
            pdf.text(x, y, text)
        else:
            with pdf.rotation(quarter, x, y):
                pdf.text(x, y, text)
    pdf.set_stretching(100.0)
