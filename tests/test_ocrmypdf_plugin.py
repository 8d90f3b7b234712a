"""ocrlite as OCRmyPDF's engine: found through the entry point, no Tesseract needed, the text layer is
ocrlite's own reading, pages turned by --rotate-pages, unknown languages refused by name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("ocrmypdf")
pdfium = pytest.importorskip("pypdfium2")


def _ocrmypdf(*args: str, tmp_path) -> subprocess.CompletedProcess:
    """OCRmyPDF in its own process, with no Tesseract on the PATH (ocrlite must not need it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if not (p and shutil.which("tesseract", path=p))]
    env = {**os.environ, "PATH": os.pathsep.join(path + [str(bin_dir)])}
    return subprocess.run([sys.executable, "-m", "ocrmypdf", "--jobs", "1", "--output-type", "pdf", *args],
                          capture_output=True, text=True, timeout=300, env=env)


def _words(text: str) -> list[str]:
    return text.split()


@pytest.fixture(scope="module")
def page():
    from ocrlite.synth.pages import PageRenderer

    return PageRenderer().render(np.random.default_rng(31), layout="columns", skew=0.0, degrade=False)


def _overlap(a: list[str], b: list[str]) -> float:
    from collections import Counter

    common = sum((Counter(a) & Counter(b)).values())
    return common / max(len(a), len(b), 1)


def test_ocrmypdf_writes_ocrlites_reading_as_the_text_layer(page, tmp_path):
    import ocrlite

    source = tmp_path / "scan.pdf"
    Image.fromarray(page.image).save(source, resolution=150)
    out = tmp_path / "scan.ocr.pdf"
    run = _ocrmypdf(str(source), str(out), tmp_path=tmp_path)  # no --plugin: the entry point finds ocrlite
    assert run.returncode == 0, run.stderr[-2000:]
    layer = pdfium.PdfDocument(str(out))[0].get_textpage().get_text_range()
    own = ocrlite.load(threads=1).read_document(str(source))[0].text
    assert _overlap(_words(layer), _words(own)) >= 0.9, (layer[:300], own[:300])


def test_rotate_pages_turns_a_sideways_page_upright(page, tmp_path):
    source = tmp_path / "turned.pdf"
    Image.fromarray(page.image).rotate(90, expand=True).save(source, resolution=150)
    out = tmp_path / "turned.ocr.pdf"
    run = _ocrmypdf("--rotate-pages", str(source), str(out), tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    result = pdfium.PdfDocument(str(out))[0]
    assert result.get_rotation() in (90, 270)
    truth = _words(" ".join(text for text, _ in page.lines))
    assert _overlap(_words(result.get_textpage().get_text_range()), truth) >= 0.85


def test_languages_ocrlite_does_not_read_are_refused_by_name(page, tmp_path):
    source = tmp_path / "scan.pdf"
    Image.fromarray(page.image).save(source, resolution=150)
    run = _ocrmypdf("-l", "chi_sim", str(source), str(tmp_path / "out.pdf"), tmp_path=tmp_path)
    assert run.returncode != 0
    assert "-l chi_sim: ocrlite reads deu, eng, fra" in run.stderr
    assert not (tmp_path / "out.pdf").exists()
