"""Read a whole page: find its lines (:func:`ocrlite.pages.find_lines`), recognise them in
width-bucketed batches, return them in reading order; draw the boxes for a person to check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ocrlite.inputs.images import ImageLoadError, too_many_pixels
from ocrlite.pages.long_lines import read_crops_located
from ocrlite.pages.words import Word, locate_line
from ocrlite.utils.limits import MAX_IMAGE_PIXELS
from ocrlite.recognition.reader import BaseRecognizer, ImageInput, check_batch_size
from ocrlite.pages import FinderConfig, LineBox, find_lines

#: Pages larger than this are refused unless the reader's ``max_pixels`` says otherwise (the one image limit).
MAX_PAGE_PIXELS = MAX_IMAGE_PIXELS
#: Lines read both ways round to tell an upside-down page (the widest ones: most letters).
ORIENTATION_SAMPLE = 8
#: Turned round, the sample must read this much more confidently for the page to be turned.
ORIENTATION_MARGIN = 0.05


@dataclass
class PageLine:
    """One recognised line of a page.

    Attributes:
        box: the line's box on the page as given (``box.corners``: ``(4, 2)`` x, y pixel corners,
            clockwise from the top-left of the text, so a skewed or upside-down page gives a rotated box).
        text: what the line reads.
        confidence: line confidence in [0, 1] (the mean of ``char_confidences``).
        char_confidences: one confidence per character of ``text``.
        words: its words with their boxes on the page (:class:`ocrlite.pages.words.Word`).
        baseline: ``(2, 2)`` page points where its letters sit, at its start and end in reading order
            (:func:`ocrlite.pages.words.locate_baseline`); None when not known.
    """

    box: LineBox
    text: str
    confidence: float
    char_confidences: list[float]
    words: list[Word] = field(default_factory=list)
    baseline: np.ndarray | None = None

    def __repr__(self) -> str:
        x, y = self.box.corners[0]
        return f"PageLine(text={self.text!r}, confidence={self.confidence:.3f}, at=({x:.0f}, {y:.0f}))"

    def to_dict(self) -> dict:
        return {"box": [[round(float(x), 1), round(float(y), 1)] for x, y in self.box.corners], "text": self.text,
                "confidence": round(self.confidence, 4),
                "char_confidences": [round(c, 4) for c in self.char_confidences],
                "words": [word.to_dict() for word in self.words],
                "baseline": None if self.baseline is None else [[round(float(x), 1), round(float(y), 1)]
                                                                for x, y in self.baseline]}


@dataclass
class PageResult:
    """The lines of a page in reading order, the skew corrected, and whether it was read upside down.

    ``skew``: degrees counter-clockwise the page is turned (after ``rotation``) to level its lines — the
    angle to give ``PIL.Image.rotate`` to straighten it; a page scanned 3° anticlockwise has skew -3.

    ``rotation``: how far the page was turned to read it — 0, 90, 180 or 270 degrees counter-clockwise
    (``rotated_180`` is ``rotation == 180``); ``detector``: which line finder found the lines.
    """

    lines: list[PageLine]
    skew: float
    rotated_180: bool
    rotation: int = 0
    detector: str = "classic"
    #: Lines the finder found, including those that read as nothing (``len(lines)`` counts only read ones).
    lines_found: int = 0
    #: The page's number in its document (1-based; 1 for an image).
    page: int = 1
    #: Why a document page could not be read (its ``lines`` are then empty); None when it was read.
    error: str | None = None
    #: ``(width, height)`` of the page as given, in pixels (0, 0 when unknown).
    size: tuple[int, int] = (0, 0)
    #: Its resolution in dots per inch when known (a rendered PDF page, an image that records it), else None.
    dpi: float | None = None

    @property
    def text(self) -> str:
        """The page's text: its lines in reading order, one per line."""
        return "\n".join(line.text for line in self.lines)

    def __repr__(self) -> str:
        first = repr(self.lines[0].text) if self.lines else "none"
        return (f"PageResult({len(self.lines)} lines, skew={self.skew:.1f}°, rotation={self.rotation}, "
                f"detector={self.detector}, first line {first})")


def check_page(rec: BaseRecognizer, gray: np.ndarray) -> None:
    """Refuse a page with no pixels or more than the reader's ``max_pixels``.

    Raises:
        ValueError: naming the problem.
    """
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError("the page has no pixels")
    limit = getattr(rec, "max_pixels", MAX_PAGE_PIXELS)
    if gray.size > limit:
        raise ValueError(too_many_pixels(gray.size, limit, f"{gray.shape[1]}×{gray.shape[0]} px"))


def _crops(upright: np.ndarray, boxes: np.ndarray, glyph: float) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    """The line crops of the upright page and each crop's top-left corner in it."""
    h, w = upright.shape
    out, origins = [], []
    for x0, y0, x1, y1 in boxes:
        py, px = int(round(0.2 * glyph)) + 1, int(round(0.3 * glyph)) + 1
        left, top = max(0, x0 - px), max(0, y0 - py)
        out.append(upright[top: min(h, y1 + py), left: min(w, x1 + px)])
        origins.append((int(left), int(top)))
    return out, origins


def _crop_to_page(box: LineBox, upright_box: np.ndarray, origin: tuple[int, int], glyph: float) -> np.ndarray:
    """``(3, 3)`` from a classic crop's pixels to the page: its box in the crop ↔ the box's page corners
    (the finder pads a box by 0.12 glyph heights above and below, :func:`ocrlite.pages.finder.find_lines`)."""
    x0, y0, x1, y1 = (float(v) for v in upright_box)
    pad = 0.12 * glyph
    left, top = origin
    rect = np.float32([[x0 - left, y0 - pad - top], [x1 - left, y0 - pad - top], [x1 - left, y1 + pad - top],
                       [x0 - left, y1 + pad - top]])
    if x1 - x0 < 1 or y1 - y0 + 2 * pad < 1:
        return np.eye(3)
    return cv2.getPerspectiveTransform(rect, box.corners.astype(np.float32))


def _recognise(rec: BaseRecognizer, crops: list[np.ndarray], batch_size: int) -> list:
    return read_crops_located(rec, crops, batch_size)  # lines too wide for the model are read in pieces


def read_page(rec: BaseRecognizer, gray: np.ndarray, config: FinderConfig | None = None, batch_size: int = 32,
              check_upside_down: bool = True) -> PageResult:
    """Find and recognise the lines of ``gray`` (``(H, W)`` uint8).

    An upside-down page is detected by its widest lines: up to :data:`ORIENTATION_SAMPLE` of them
    are also read turned round, and the page is turned when that reads clearly more confidently.
    (Upside-down print can read with a high confidence — "uoıʇɐɯɹoɟuı" looks like letters — so the
    comparison is always made, not only when the page reads poorly.)

    Raises:
        ValueError: the page is larger than :data:`MAX_PAGE_PIXELS` or has no pixels.
    """
    check_page(rec, gray)
    size = (int(gray.shape[1]), int(gray.shape[0]))
    layout = find_lines(gray, config)
    if not layout.lines:
        return PageResult([], layout.skew, False, size=size)
    crops, origins = _crops(layout.upright, layout.boxes_upright, layout.glyph_height)
    rotated = False
    reads = _recognise(rec, crops, batch_size)
    if check_upside_down:
        sample = sorted(range(len(crops)), key=lambda i: -crops[i].shape[1])[:ORIENTATION_SAMPLE]
        upright_conf = float(np.mean([reads[i].prediction.confidence for i in sample]))
        flipped_conf = float(np.mean([r.prediction.confidence for r in _recognise(
            rec, [crops[i][::-1, ::-1] for i in sample], batch_size)]))
        if flipped_conf > upright_conf + ORIENTATION_MARGIN:
            rotated = True
            flipped = np.ascontiguousarray(gray[::-1, ::-1])
            result = read_page(rec, flipped, config, batch_size, check_upside_down=False)
            h, w = gray.shape
            for line in result.lines:  # boxes back on the page as given
                line.box.corners = _turned_round(line.box.corners, w, h)
                for word in line.words:
                    word.corners = _turned_round(word.corners, w, h)
                if line.baseline is not None:
                    line.baseline = np.stack([w - line.baseline[:, 0], h - line.baseline[:, 1]], 1)
            return PageResult(result.lines, result.skew, True, 180, lines_found=result.lines_found, size=size)
    lines = []
    for box, upright_box, origin, crop, r in zip(layout.lines, layout.boxes_upright, origins, crops, reads):
        p = r.prediction
        to_page = _crop_to_page(box, upright_box, origin, layout.glyph_height)
        words, baseline = locate_line(p.text, p.char_confidences, r.char_columns, crop, to_page)
        lines.append(PageLine(box, p.text, p.confidence, list(p.char_confidences), words, baseline))
    found = len(lines)
    lines = [line for line in lines if line.text.strip()]
    return PageResult(lines, layout.skew, rotated, 180 if rotated else 0, lines_found=found, size=size)


def _turned_round(corners: np.ndarray, w: int, h: int) -> np.ndarray:
    """Corners found on the page turned by 180° (``(w, h)`` its size), back on the page as given."""
    return np.stack([w - corners[:, 0], h - corners[:, 1]], 1)[[2, 3, 0, 1]]


def read_page_with_detector(rec: BaseRecognizer, detector, gray: np.ndarray, batch_size: int = 32) -> PageResult:
    """Read ``gray`` (``(H, W)`` uint8) with a learned line detector (:mod:`ocrlite.pages.learned`).

    Raises:
        ValueError: the page is larger than :data:`MAX_PAGE_PIXELS` or has no pixels.
    """
    from ocrlite.pages.learned import as_line_box, read_page_learned

    check_page(rec, gray)
    found, skew, rotation = read_page_learned(rec, detector, gray, batch_size)
    lines = [PageLine(as_line_box(c), p.text, p.confidence, list(p.char_confidences), words, baseline)
             for c, p, words, baseline in found]
    lines = [line for line in lines if line.text.strip()]
    return PageResult(lines, skew, rotation == 180, rotation, "learned", len(found),
                      size=(int(gray.shape[1]), int(gray.shape[0])))


def draw_page(gray: np.ndarray, result: PageResult) -> np.ndarray:
    """The page in colour with each line's box and its reading-order number: ``(H, W, 3)`` uint8 BGR."""
    canvas = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    thickness = max(1, int(round(max(gray.shape) / 1000)))
    for k, line in enumerate(result.lines, 1):
        pts = np.round(line.box.corners).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [pts], True, (0, 0, 230), thickness)
        x, y = pts[0, 0]
        size = max(0.35, line.box.height / 40)
        cv2.putText(canvas, str(k), (int(x), int(max(10, y - 2))), cv2.FONT_HERSHEY_SIMPLEX, size, (200, 60, 0),
                    max(1, thickness), cv2.LINE_AA)
    return canvas


class PageReading:
    """Mixin that gives a line recognizer (a :class:`~ocrlite.recognition.reader.BaseRecognizer`) a
    ``read_page`` method; the public recognizers (:mod:`ocrlite.api`) are line engine + this."""

    #: ``auto``, ``learned`` or ``classic`` (see :data:`ocrlite.detection.onnx_engine.DETECTORS`), or a detector.
    detector: object = "auto"

    def read_page(self: BaseRecognizer, image: ImageInput, config=None, batch_size: int = 32, channel_order: str = "RGB",
                  detector: object = None):
        """Find the lines of a whole page and recognise them.

        Args:
            image: the page: a path, a PIL image or a numpy array (see :meth:`to_gray`).
            config: :class:`ocrlite.pages.FinderConfig` for the classic finder (None: defaults).
            channel_order: of an ``(h, w, 3)`` array: "RGB" (PIL, most libraries) or "BGR" (``cv2.imread``).
            detector: ``auto`` / ``learned`` / ``classic`` or a loaded detector (None: this reader's ``detector``).

        Returns:
            :class:`ocrlite.pages.reader.PageResult`: lines in reading order with box, text and confidences.
        """
        check_batch_size(batch_size)
        if isinstance(image, (str, Path)):
            from ocrlite.inputs.pdf import is_pdf

            if is_pdf(image):  # a PDF given as a page: its first page (read_document reads them all)
                return self.read_document(str(image), "1", batch_size=batch_size, detector=detector)[0]
        try:
            gray = self.to_gray(image, channel_order)
        except ImageLoadError as err:
            raise err.naming_the_file() from None
        finder = resolve_detector(detector if detector is not None else getattr(self, "detector", "classic"))
        if finder == "classic":
            result = read_page(self, gray, config, batch_size)
        else:
            result = read_page_with_detector(self, finder, gray, batch_size)
        if isinstance(image, (str, Path)):
            from ocrlite.inputs.images import image_dpi

            result.dpi = image_dpi(image)
        return result


    def read_document(self: BaseRecognizer, path: str, pages: str | None = None, dpi: float = 300,
                      batch_size: int = 32, detector: object = None) -> list[PageResult]:
        """Read the pages of a PDF (or an image, as a one-page document), one ``PageResult`` per page.

        Args:
            pages: ``"1-3,7"`` (None: every page). dpi: PDF rendering resolution (lowered to keep a page
                under the reader's ``max_pixels``).

        Returns:
            One result per page in order, ``result.page`` its number; a page that cannot be rendered has
            ``result.error`` set and no lines (the other pages are still read).

        Raises:
            PdfError: the document cannot be read at all (encrypted, damaged). ValueError: a bad ``pages``.
        """
        from ocrlite.inputs.pdf import is_pdf, render_pages

        if not is_pdf(path):
            return [self.read_page(path, batch_size=batch_size, detector=detector)]
        results = []
        for rendered in render_pages(path, pages, dpi, self.max_pixels):
            if rendered.error:
                results.append(PageResult([], 0.0, False, page=rendered.number, error=rendered.error))
                continue
            result = self.read_page(rendered.image, batch_size=batch_size, detector=detector)
            result.page, result.dpi = rendered.number, rendered.dpi
            results.append(result)
        return results


_LOADED: dict[str, object] = {}


def resolve_detector(detector: object) -> object:
    """``"classic"``, or a loaded learned detector, for a ``--detector`` value or a detector object.

    ``auto`` is the learned detector when the package ships it (and the classic finder otherwise).

    Raises:
        ValueError: an unknown name (lists the valid ones), or ``learned`` without a shipped detector.
    """
    from ocrlite.detection.onnx_engine import DETECTORS, OnnxLineDetector, default_detector_path

    if not isinstance(detector, str):
        return detector
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; choose one of: {', '.join(DETECTORS)}")
    if detector == "classic":
        return "classic"
    path = default_detector_path()
    if not path.is_file():
        if detector == "auto":
            return "classic"
        raise ValueError(f"no learned detector at {path}; use --detector classic")
    key = str(path)
    if key not in _LOADED:
        _LOADED[key] = OnnxLineDetector.load(path, threads=1)
    return _LOADED[key]
