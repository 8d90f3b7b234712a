"""Documents out: word boxes from the CTC alignment, hOCR, ALTO and searchable PDFs, through the API and the CLI."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ocrlite
from ocrlite.cli import main
from ocrlite.formats.alto import ALTO, to_alto
from ocrlite.formats.hocr import XHTML, to_hocr
from ocrlite.formats.searchable_pdf import SearchablePdf
from ocrlite.pages.finder import LineBox
from ocrlite.pages.reader import PageLine, PageResult
from ocrlite.pages.scoring import WordBoxScore, score_words
from ocrlite.pages.words import Word, locate_words, word_spans

ALTO_XSD = Path(os.environ.get("OCRLITE_ALTO_XSD") or Path(__file__).parent / "data" / "alto-v4-subset.xsd")


@pytest.fixture(scope="module")
def reader():
    return ocrlite.load(threads=1)


@pytest.fixture(scope="module")
def pages():
    from ocrlite.synth.pages import PageRenderer

    renderer = PageRenderer()
    return [renderer.render(np.random.default_rng(seed), layout=layout)
            for seed, layout in ((11, "receipt"), (12, "columns"))]


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("detector", ["learned", "classic"])
def test_word_boxes_land_on_the_true_words(reader, pages, detector):
    total = WordBoxScore()
    for page in pages:
        result = reader.read_page(page.image, detector=detector)
        for line in result.lines:
            assert [w.text for w in line.words] == _words(line.text)
            assert all(w.corners.shape == (4, 2) and 0 <= w.confidence <= 1 for w in line.words)
        found = [(w.text, w.corners) for line in result.lines for w in line.words]
        total += score_words([w for words in page.words for w in words], found)
    # measured 0.80-0.84 mean IoU, 94-97 % of words at IoU >= 0.5 (scripts/bench/bench_word_boxes.py)
    assert total.words > 200
    assert total.mean_iou >= 0.65, total
    assert total.over_half >= 0.85 * total.words, total


def test_word_boxes_follow_a_page_turned_upside_down(reader, pages):
    page = pages[0]
    turned = np.ascontiguousarray(page.image[::-1, ::-1])
    h, w = page.image.shape
    truth = [(t, np.stack([w - q[:, 0], h - q[:, 1]], 1)) for words in page.words for t, q in words]
    result = reader.read_page(turned, detector="learned")
    assert result.rotation == 180
    score = score_words(truth, [(x.text, x.corners) for line in result.lines for x in line.words])
    assert score.over_half >= 0.8 * score.words, score


def test_words_split_at_spaces_and_need_an_alignment():
    assert word_spans("  ab c  def ") == [(2, 4), (5, 6), (8, 11)]
    crop = np.full((20, 60), 255, np.uint8)
    crop[5:15, 5:20] = 0
    crop[5:15, 35:55] = 0
    columns = [(8.0, 10.0), (14.0, 16.0), (26.0, 28.0), (40.0, 42.0), (48.0, 50.0)]
    words = locate_words("ab cd", [0.9, 0.8, 1.0, 0.7, 0.5], columns, crop, np.eye(3))
    assert [w.text for w in words] == ["ab", "cd"]
    assert words[0].bbox == (5, 5, 20, 15) and words[1].bbox == (35, 5, 55, 15)  # snapped to the ink
    assert words[0].confidence == pytest.approx(0.85)
    assert locate_words("ab cd", [0.9] * 5, [], crop, np.eye(3)) == []  # no alignment, no words


def _hand_made_page() -> PageResult:
    """A page with Unicode the text layer must keep, on a 600×200 px image at 150 dpi."""
    lines = []
    for k, text in enumerate(["« Où est l’hôtel ? »", "Ça coûte 45,00 € à Noël — “fin”"]):
        y0 = 40 + 70 * k
        words, x = [], 20.0
        for word in text.split():
            width = 14.0 * len(word)
            words.append(Word(word, np.array([[x, y0], [x + width, y0], [x + width, y0 + 30], [x, y0 + 30]]), 0.9))
            x += width + 12
        corners = np.array([[20, y0], [x, y0], [x, y0 + 30], [20, y0 + 30]], np.float64)
        lines.append(PageLine(LineBox(corners, 30.0), text, 0.9, [0.9] * len(text), words))
    return PageResult(lines, 0.0, False, size=(600, 200), dpi=150)


def test_hocr_parses_and_round_trips_its_text(reader, pages):
    results = [reader.read_page(p.image) for p in pages]
    document = to_hocr(results, "scan.png")
    root = ET.fromstring(document)
    ns = {"h": XHTML}
    assert len(root.findall(".//h:div[@class='ocr_page']", ns)) == 2
    for page_div, result in zip(root.findall(".//h:div[@class='ocr_page']", ns), results):
        lines = page_div.findall(".//h:span[@class='ocr_line']", ns)
        assert len(lines) == len(result.lines)
        for span, line in zip(lines, result.lines):
            words = span.findall("h:span[@class='ocrx_word']", ns)
            assert " ".join(w.text for w in words) == " ".join(line.text.split())
            for w in words:
                title = dict(part.strip().split(" ", 1) for part in w.get("title").split(";"))
                x0, y0, x1, y1 = map(int, title["bbox"].split())
                assert 0 <= x0 < x1 <= result.size[0] and 0 <= y0 < y1 <= result.size[1]
                assert 0 <= int(title["x_wconf"]) <= 100
    hocr_spec = pytest.importorskip("hocr_spec")  # the hOCR 1.2 validator (in the dev extra)
    from hocr_spec import HocrValidator

    report = HocrValidator("standard").validate(_as_file(document), parse_strict=True)
    assert report.is_valid(), report.format("text")


def _as_file(text: str):
    import io

    return io.BytesIO(text.encode("utf-8"))


def test_alto_is_valid_and_round_trips_its_text(reader, pages):
    lxml = pytest.importorskip("lxml.etree")
    results = [reader.read_page(p.image) for p in pages] + [_hand_made_page()]
    results[-1].page = 3
    document = to_alto(results, "scan.pdf")
    schema = lxml.XMLSchema(lxml.parse(str(ALTO_XSD)))
    tree = lxml.fromstring(document.encode("utf-8"))
    assert schema.validate(tree), schema.error_log
    ns = {"a": ALTO}
    page_elements = tree.findall(".//a:Page", ns)
    assert [p.get("PHYSICAL_IMG_NR") for p in page_elements] == ["1", "1", "3"]
    for page_el, result in zip(page_elements, results):
        lines = page_el.findall(".//a:TextLine", ns)
        assert [" ".join(s.get("CONTENT") for s in line.findall("a:String", ns)) for line in lines] == \
            [" ".join(line.text.split()) for line in result.lines]


def test_searchable_pdf_keeps_unicode_and_places_words(tmp_path):
    import pypdfium2 as pdfium

    result = _hand_made_page()
    image = np.full((200, 600), 255, np.uint8)
    document = SearchablePdf()
    document.add_page(result, image)
    path = tmp_path / "out.pdf"
    path.write_bytes(document.to_bytes())
    pdf = pdfium.PdfDocument(str(path))
    page = pdf[0]
    assert page.get_size() == pytest.approx((600 * 72 / 150, 200 * 72 / 150), abs=0.01)
    text = page.get_textpage().get_text_range()
    assert [" ".join(line.split()) for line in text.splitlines()] == [line.text for line in result.lines]
    textpage = page.get_textpage()
    target = result.lines[0].words[3]  # "l’hôtel"
    start = text.index("l’hôtel")
    left, bottom, right, top = textpage.get_charbox(start)
    x0, y0, x1, y1 = target.bbox
    scale = 72 / 150
    assert x0 * scale - 2 <= left <= x1 * scale and x0 * scale <= right <= x1 * scale + 2
    page_height = 200 * scale
    assert y0 * scale - 3 <= page_height - top and page_height - bottom <= y1 * scale + 3
    with pytest.raises(ValueError, match="image is"):
        SearchablePdf().add_page(result, np.zeros((10, 10), np.uint8))


def test_predict_writes_each_format_from_the_command_line(pages, tmp_path, capsys):
    scan = tmp_path / "scan.png"
    Image.fromarray(pages[0].image).save(scan, dpi=(200, 200))
    pdf_in = tmp_path / "doc.pdf"
    Image.fromarray(pages[1].image).save(pdf_in, save_all=True, resolution=150,
                                         append_images=[Image.fromarray(pages[0].image)])
    assert main(["predict", str(scan)]) == 0
    text = capsys.readouterr().out.strip().splitlines()  # line mode: one line of output
    assert main(["predict", "--page", str(scan)]) == 0
    page_text = capsys.readouterr().out
    assert len(text) == 1 and len(page_text.splitlines()) > 5

    out = tmp_path / "scan.searchable.pdf"
    assert main(["predict", str(pdf_in), "--format", "pdf", "--out", str(out)]) == 0  # --page implied
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(out))
    assert len(document) == 2
    layer = document[1].get_textpage().get_text_range()
    assert sum(" ".join(w.split()) in " ".join(layer.split()) for w in page_text.splitlines()) >= \
        0.9 * len(page_text.splitlines())
    capsys.readouterr()
    assert main(["predict", str(pdf_in), "--format", "pdf", "--out", str(out)]) == 2  # never replaced unasked
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["predict", str(scan), "--format", "pdf"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["predict", str(scan), "--format", "pdf", "--out", str(scan), "--force"]) == 2  # never onto an input
    assert "is an input" in capsys.readouterr().err

    assert main(["predict", str(scan), "--format", "hocr"]) == 0
    hocr = capsys.readouterr().out
    assert 'scan_res 200 200' in hocr and "ocrx_word" in hocr
    folder = tmp_path / "alto"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage")
    assert main(["predict", str(scan), str(pdf_in), str(broken), "--format", "alto", "--out", f"{folder}/"]) == 1
    err = capsys.readouterr().err
    assert "broken.pdf" in err and "doc.pdf" not in err
    assert sorted(p.name for p in folder.iterdir()) == ["doc.alto.xml", "scan.alto.xml"]
    assert ET.parse(folder / "doc.alto.xml").getroot().tag == f"{{{ALTO}}}alto"


@pytest.mark.parametrize("detector", ["learned", "classic"])
def test_both_finders_report_skew_as_the_turn_that_levels_the_page(reader, detector):
    from ocrlite.synth.pages import PageRenderer

    for applied in (4.0, -3.0):
        page = PageRenderer().render(np.random.default_rng(3), layout="receipt", skew=applied)
        assert abs(reader.read_page(page.image, detector=detector).skew + applied) < 0.8
