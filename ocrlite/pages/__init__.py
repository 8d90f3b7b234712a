"""Whole pages, torch-free: finding the text lines of a scan or photo (:mod:`~ocrlite.pages.finder`),
orientation and reading order, ``read_page`` as a function of (line reader, image) and the
:class:`~ocrlite.pages.reader.PageReading` mixin (:mod:`~ocrlite.pages.reader`), and page scoring
against annotated boxes (:mod:`~ocrlite.pages.scoring`).

Layer 4: may import :mod:`ocrlite.utils`, :mod:`ocrlite.inputs` and :mod:`ocrlite.recognition`
(any line reader works). Never torch or :mod:`ocrlite.nn`.
"""

from ocrlite.pages.finder import FinderConfig, LineBox, PageLayout, find_lines

__all__ = ["FinderConfig", "LineBox", "PageLayout", "find_lines"]
