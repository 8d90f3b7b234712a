"""ALTO v4 (https://www.loc.gov/standards/alto/, schema 4.2): ``Page`` → ``PrintSpace`` → ``TextBlock`` →
``TextLine`` → ``String`` / ``SP``, positions in pixels (``MeasurementUnit`` pixel), word confidence ``WC``
in [0, 1]; one ``Page`` per page of the input, numbered by ``PHYSICAL_IMG_NR``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import numpy as np

from ocrlite.formats.boxes import bbox, text_angle
from ocrlite.pages.reader import PageResult
from ocrlite.utils.version import __version__

ALTO = "http://www.loc.gov/standards/alto/ns-v4#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{ALTO} http://www.loc.gov/standards/alto/v4/alto-4-2.xsd"


def _position(box: tuple[int, int, int, int]) -> dict[str, str]:
    x0, y0, x1, y1 = box
    return {"HPOS": str(x0), "VPOS": str(y0), "WIDTH": str(x1 - x0), "HEIGHT": str(y1 - y0)}


def to_alto(pages: Sequence[PageResult], source: str = "") -> str:
    """One ALTO v4 document for the pages of one input (``source``: the file name it records).

    Returns:
        UTF-8 XML text.
    """
    ET.register_namespace("", ALTO)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(f"{{{ALTO}}}alto", {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    description = ET.SubElement(root, f"{{{ALTO}}}Description")
    ET.SubElement(description, f"{{{ALTO}}}MeasurementUnit").text = "pixel"
    image = ET.SubElement(description, f"{{{ALTO}}}sourceImageInformation")
    ET.SubElement(image, f"{{{ALTO}}}fileName").text = source
    processing = ET.SubElement(description, f"{{{ALTO}}}Processing", {"ID": "OCR_0"})
    software = ET.SubElement(processing, f"{{{ALTO}}}processingSoftware")
    ET.SubElement(software, f"{{{ALTO}}}softwareName").text = "ocrlite"
    ET.SubElement(software, f"{{{ALTO}}}softwareVersion").text = __version__
    layout = ET.SubElement(root, f"{{{ALTO}}}Layout")
    for index, page in enumerate(pages, 1):
        n = index  # element IDs by position: unique even when two results carry one page number
        width, height = page.size
        page_el = ET.SubElement(layout, f"{{{ALTO}}}Page", {
            "ID": f"page_{n}", "PHYSICAL_IMG_NR": str(page.page), "WIDTH": str(width), "HEIGHT": str(height)})
        space = ET.SubElement(page_el, f"{{{ALTO}}}PrintSpace", _position((0, 0, max(width, 1), max(height, 1))))
        if not page.lines:
            continue
        boxes = [bbox(line.box.corners, page.size) for line in page.lines]
        block_attributes = {"ID": f"block_{n}_1", **_position((min(b[0] for b in boxes), min(b[1] for b in boxes),
                                                               max(b[2] for b in boxes), max(b[3] for b in boxes)))}
        signed = [(a + 180.0) % 360.0 - 180.0 for a in (text_angle(line.box.corners) for line in page.lines)]
        angle = round(float(np.median(signed)), 1) % 360
        if angle:  # the text's turn on the page (a page read sideways); ALTO gives it per block
            block_attributes["ROTATION"] = str(angle)
        block = ET.SubElement(space, f"{{{ALTO}}}TextBlock", block_attributes)
        for k, (line, box) in enumerate(zip(page.lines, boxes), 1):
            line_el = ET.SubElement(block, f"{{{ALTO}}}TextLine", {"ID": f"line_{n}_{k}", **_position(box)})
            words = [(w.text, bbox(w.corners, page.size), w.confidence) for w in line.words] or \
                    [(line.text, box, line.confidence)]
            for j, (text, word_box, confidence) in enumerate(words, 1):
                if j > 1:
                    previous = words[j - 2][1]
                    ET.SubElement(line_el, f"{{{ALTO}}}SP", {"HPOS": str(previous[2]),
                                                             "VPOS": str(min(previous[1], word_box[1])),
                                                             "WIDTH": str(max(0, word_box[0] - previous[2]))})
                ET.SubElement(line_el, f"{{{ALTO}}}String", {
                    "ID": f"string_{n}_{k}_{j}", **_position(word_box), "CONTENT": text,
                    "WC": f"{min(1.0, max(0.0, confidence)):.3f}"})
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
