"""Standard documents out of read pages: hOCR 1.2, ALTO v4 and searchable PDF.

Each writer takes the pages of one input (:class:`~ocrlite.pages.reader.PageResult`, one per page, with
their lines and words in page pixels) and returns or writes one document, the way Tesseract's
``hocr``, ``alto`` and ``pdf`` outputs do.
"""

from __future__ import annotations

#: ``--format`` values that write a document for a page input, with what each is.
DOCUMENT_FORMATS = {
    "hocr": "hOCR 1.2 (XHTML): pages, lines and words with their boxes and confidences",
    "alto": "ALTO v4 XML: pages, lines and words with their boxes and confidences",
    "pdf": "a searchable PDF: each page's image with an invisible text layer over its words",
}
