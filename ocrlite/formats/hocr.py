"""hOCR 1.2 (http://kba.github.io/hocr-spec/1.2/): ``ocr_page`` → ``ocr_carea`` → ``ocr_par`` → ``ocr_line`` →
``ocrx_word``, each with its ``bbox`` in page pixels; words carry ``x_wconf`` (0–100), lines on a turned page
their ``textangle``. The layout Tesseract writes, so hocr-tools, hocr-pdf and OCRmyPDF's hOCR renderer read it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import numpy as np

from ocrlite.formats.boxes import bbox, text_angle
from ocrlite.pages.reader import PageResult
from ocrlite.utils.version import __version__

XHTML = "http://www.w3.org/1999/xhtml"
_DOCTYPE = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
            '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')


def _title(**props: object) -> str:
    parts = []
    for key, value in props.items():
        if value is None:
            continue
        if key == "image":
            value = '"' + str(value).replace("\\", "/").replace('"', "'") + '"'
        elif isinstance(value, (tuple, list)):
            value = " ".join(str(v) for v in value)
        parts.append(f"{key} {value}")
    return "; ".join(parts)


def to_hocr(pages: Sequence[PageResult], source: str = "", language: str = "en") -> str:
    """One hOCR document for the pages of one input (``source``: the file name written into each page).

    Returns:
        UTF-8 XHTML text.
    """
    ET.register_namespace("", XHTML)
    html = ET.Element(f"{{{XHTML}}}html", {"xml:lang": language, "lang": language})
    head = ET.SubElement(html, f"{{{XHTML}}}head")
    ET.SubElement(head, f"{{{XHTML}}}title").text = source
    ET.SubElement(head, f"{{{XHTML}}}meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    ET.SubElement(head, f"{{{XHTML}}}meta", {"name": "ocr-system", "content": f"ocrlite {__version__}"})
    ET.SubElement(head, f"{{{XHTML}}}meta", {"name": "ocr-capabilities",
                                              "content": "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf ocrp_lang"})
    ET.SubElement(head, f"{{{XHTML}}}meta", {"name": "ocr-number-of-pages", "content": str(len(pages))})
    ET.SubElement(head, f"{{{XHTML}}}meta", {"name": "ocr-langs", "content": language})
    ET.SubElement(head, f"{{{XHTML}}}meta", {"name": "ocr-scripts", "content": "Latn"})
    body = ET.SubElement(html, f"{{{XHTML}}}body")
    for index, page in enumerate(pages):
        n = index + 1  # element IDs by position: unique even when two results carry one page number
        width, height = page.size
        dpi = round(page.dpi) if page.dpi else None
        page_div = ET.SubElement(body, f"{{{XHTML}}}div", {
            "class": "ocr_page", "id": f"page_{n}",
            "title": _title(image=source or None, bbox=(0, 0, width, height), ppageno=page.page - 1,
                            scan_res=(dpi, dpi) if dpi else None)})
        if not page.lines:
            continue
        area = ET.SubElement(page_div, f"{{{XHTML}}}div", {
            "class": "ocr_carea", "id": f"block_{n}_1",
            "title": _title(bbox=_union([_line_bbox(line, page.size) for line in page.lines]))})
        par = ET.SubElement(area, f"{{{XHTML}}}p", {"class": "ocr_par", "id": f"par_{n}_1", "lang": language,
                                                     "title": area.get("title")})
        for k, line in enumerate(page.lines, 1):
            line_box = _line_bbox(line, page.size)
            quarter = round(text_angle(line.box.corners) / 90.0) % 4 * 90
            span = ET.SubElement(par, f"{{{XHTML}}}span", {
                "class": "ocr_line", "id": f"line_{n}_{k}",
                "title": _title(bbox=line_box, textangle=quarter or None,
                                baseline=None if quarter or line.baseline is None else _baseline(line.baseline, line_box))})
            words = line.words or []
            if not words:  # no word boxes (e.g. a hand-made result): the line as one word
                word = ET.SubElement(span, f"{{{XHTML}}}span", {
                    "class": "ocrx_word", "id": f"word_{n}_{k}_1",
                    "title": _title(bbox=bbox(line.box.corners, page.size), x_wconf=round(100 * line.confidence))})
                word.text = line.text
                continue
            for j, w in enumerate(words, 1):
                word = ET.SubElement(span, f"{{{XHTML}}}span", {
                    "class": "ocrx_word", "id": f"word_{n}_{k}_{j}",
                    "title": _title(bbox=bbox(w.corners, page.size), x_wconf=round(100 * w.confidence))})
                word.text = w.text
                word.tail = " " if j < len(words) else None
    ET.indent(html, space=" ")
    text = ET.tostring(html, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{_DOCTYPE}\n{text}\n'


def _baseline(points: np.ndarray, line_box: tuple[int, int, int, int]) -> tuple[float, float]:
    """hOCR ``baseline slope offset`` of an upright line from its baseline's two page points: the slope
    (y grows down the page) and the baseline's height above the bbox's bottom-left corner (negative: above)."""
    (xa, ya), (xb, yb) = np.asarray(points, np.float64)
    slope = (yb - ya) / (xb - xa) if abs(xb - xa) > 1e-6 else 0.0
    at_left = ya + slope * (line_box[0] - xa)
    return round(float(slope), 4), round(float(min(0.0, at_left - line_box[3])), 1)


def _line_bbox(line, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A line's box as hOCR readers expect it, tight around its ink: the union of its word boxes (which hug
    the ink), or its found box when it has no words. Renderers size the text layer's font by it."""
    if line.words:
        return _union([bbox(w.corners, size) for w in line.words])
    return bbox(line.box.corners, size)


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
