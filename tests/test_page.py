"""Whole pages (issue 18): the line finder on rendered pages with known boxes, `predict --page`, bad pages."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ocrlite.cli import main
from ocrlite.pages import find_lines
from ocrlite.pages.scoring import iou, quad_box, score_page, substring_distance
from ocrlite.synth.pages import PageRenderer

from helpers import png_header_only

REPO = Path(__file__).resolve().parent.parent
FAST = str(REPO / "ocrlite" / "models" / "fast.onnx")


@pytest.fixture(scope="module")
def renderer():
    return PageRenderer()


def _detection(page):
    layout = find_lines(page.image)
    truth = [(t, quad_box(q)) for t, q in page.lines]
    found = [("x", line.bbox) for line in layout.lines]
    return layout, score_page(truth, found)


@pytest.mark.parametrize("layout_name,skew", [("columns", 4.0), ("table", -3.0), ("receipt", 7.5), ("columns", -9.0)])
def test_finder_recovers_rendered_lines(renderer, layout_name, skew):
    page = renderer.render(np.random.default_rng(11), layout=layout_name, skew=skew)
    layout, s = _detection(page)
    assert s.recall >= 0.9 and s.precision >= 0.85, (s.recall, s.precision)
    assert abs(layout.skew + skew) < 0.5  # the finder's rotation undoes the page's


def test_two_columns_are_read_left_column_first(renderer):
    page = renderer.render(np.random.default_rng(3), layout="columns", skew=0.0, degrade=False)
    layout = find_lines(page.image)
    middle = page.image.shape[1] / 2
    sides = ["L" if (line.bbox[0] + line.bbox[2]) / 2 < middle else "R" for line in layout.lines[1:-1]]
    first_r = "".join(sides).find("R")
    assert first_r > 5 and "L" not in "".join(sides)[first_r:], "".join(sides)


def test_table_rules_do_not_join_rows(renderer):
    page = renderer.render(np.random.default_rng(8), layout="table", skew=0.0, degrade=False)
    layout = find_lines(page.image)
    glyph = layout.glyph_height
    assert all(line.height < 2.5 * glyph / 1.0 for line in layout.lines)


def test_scoring_matches_substrings_and_boxes():
    assert substring_distance("DOC NO", "XX DOC NO CS0001") == 0
    assert substring_distance("DOC NO", "DOC N0") == 1
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0 and iou((0, 0, 1, 1), (5, 5, 6, 6)) == 0.0
    s = score_page([("TOTAL 5.00", (0, 0, 100, 10))], [("total 5.00", (0, 0, 100, 10)), ("extra", (0, 50, 10, 60))])
    assert s.recall == 1.0 and s.precision == 0.5 and s.position_errors == 0 and s.bag_errors == len("EXTRA")


def test_predict_page_reads_a_rendered_page(renderer, tmp_path, capsys):
    page = renderer.render(np.random.default_rng(21), layout="receipt", skew=2.0)
    path = tmp_path / "receipt.png"
    Image.fromarray(page.image).save(path)
    drawing = tmp_path / "boxes.png"
    assert main(["predict", "--page", str(path), "--weights", FAST, "--draw", str(drawing)]) == 0
    out = capsys.readouterr().out.splitlines()
    truth = [t for t, _ in page.lines]
    assert len(out) >= 0.9 * len(truth)
    errors = sum(substring_distance(t.upper(), " ".join(out).upper()) for t in truth)
    assert errors / sum(len(t) for t in truth) < 0.15
    assert Image.open(drawing).size == Image.open(path).size
    assert main(["predict", "--page", str(path), "--weights", FAST, "--draw", str(drawing)]) == 2  # refused up front
    assert "exists" in capsys.readouterr().err
    assert main(["predict", "--page", str(path), "--weights", FAST, "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)[0]
    assert record["lines"] and len(record["lines"][0]["box"]) == 4
    assert len(record["lines"][0]["char_confidences"]) == len(record["lines"][0]["text"])


def test_upside_down_page_is_turned(renderer):
    from ocrlite.api import load_recognizer

    page = renderer.render(np.random.default_rng(4), layout="columns", skew=0.0, degrade=False)
    rec = load_recognizer(FAST, threads=1)
    result = rec.read_page(np.ascontiguousarray(page.image[::-1, ::-1]))
    assert result.rotated_180
    h, w = page.image.shape
    first = [t for t, q in page.lines if quad_box(q)[1] > 0][0]
    assert substring_distance(first.upper()[:20], result.text.upper()) <= 4


def test_bad_pages_end_with_a_result_or_one_line(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("L", (900, 1200), 255).save(blank)
    noise = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((600, 800)) * 60 + 100).astype(np.uint8)).save(noise)
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_header_only(12000, 11000))  # 132 MP claimed
    code = main(["predict", "--page", str(blank), str(noise), str(huge), "--weights", FAST])
    err = capsys.readouterr().err
    assert code == 1  # the huge page failed; the others were read
    assert "blank.png: no text lines found" in err
    assert "huge.png" in err and "MP limit" in err
    assert "Traceback" not in err


def test_draw_needs_page(tmp_path, capsys):
    assert main(["predict", "x.png", "--draw", str(tmp_path / "d.png"), "--weights", FAST]) == 2
