"""Whole pages: find the text lines of a scan or photo (:mod:`ocrlite.layout.finder`) and render
synthetic pages with known line boxes (:mod:`ocrlite.layout.synthetic`)."""

from ocrlite.layout.finder import FinderConfig, LineBox, PageLayout, find_lines

__all__ = ["FinderConfig", "LineBox", "PageLayout", "find_lines"]
