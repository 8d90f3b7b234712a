"""Documents in: PDF pages rendered in-process, page ranges, damaged PDFs that do not stop a batch."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ocrlite.cli import main
from ocrlite.inputs.pdf import PdfError, is_pdf, page_count, parse_page_ranges, render_pages


@pytest.fixture(scope="module")
def two_page_pdf(tmp_path_factory):
    from ocrlite.synth.pages import PageRenderer

    renderer = PageRenderer()
    pages = [renderer.render(np.random.default_rng(k), layout="receipt", skew=0.0, degrade=False) for k in (1, 2)]
    path = tmp_path_factory.mktemp("pdf") / "doc.pdf"
    images = [Image.fromarray(p.image) for p in pages]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=150)
    return path, pages


def test_page_ranges():
    assert parse_page_ranges("1-3,7,2", 9) == [1, 2, 3, 7]
    assert parse_page_ranges(None, 3) == [1, 2, 3]
    for bad in ("0", "3-1", "x", "1-20"):
        with pytest.raises(ValueError, match="--pages"):
            parse_page_ranges(bad, 9)


def test_pdf_pages_render_at_the_asked_resolution_and_under_the_pixel_limit(two_page_pdf):
    path, pages = two_page_pdf
    assert is_pdf(path) and page_count(path) == 2
    (first,) = list(render_pages(path, "1", dpi=300))
    h, w = pages[0].image.shape
    assert first.number == 1 and abs(first.image.shape[0] - 2 * h) <= 2  # saved at 150 dpi, read at 300
    (small,) = list(render_pages(path, "2", dpi=300, max_pixels=200_000))
    assert small.image.size <= 200_000 and small.dpi < 300


def test_a_pdf_reads_as_its_pages_do(two_page_pdf):
    import ocrlite

    path, pages = two_page_pdf
    reader = ocrlite.load(detector="classic")
    results = reader.read_document(str(path))
    assert [r.page for r in results] == [1, 2] and all(r.error is None for r in results)
    for result, page in zip(results, pages):
        truth = {" ".join(t.split()) for t, _ in page.lines}
        read = [" ".join(line.text.split()) for line in result.lines]
        assert sum(t in truth for t in read) >= 0.7 * len(truth)
    assert reader.read_page(str(path)).page == 1


def test_damaged_pdfs_are_one_line_and_the_other_inputs_are_read(two_page_pdf, tmp_path, capsys):
    path, _ = two_page_pdf
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(PdfError, match="not a readable PDF"):
        list(render_pages(broken))
    status = main(["predict", "--page", "--detector", "classic", "--format", "json", str(broken), str(path),
                   "--pages", "2"])
    out, err = capsys.readouterr()
    assert status == 1 and "broken.pdf: not a readable PDF" in err and len(err.strip().splitlines()) == 2
    records = json.loads(out)
    assert [(r["page"], r["no_text"]) for r in records] == [(2, False)]


def test_a_pdf_in_line_mode_says_to_use_page(two_page_pdf, capsys):
    path, _ = two_page_pdf
    assert main(["predict", str(path)]) == 1
    assert "a PDF document: read its pages with --page" in capsys.readouterr().err
