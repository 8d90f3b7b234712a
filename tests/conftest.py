"""Shared fixtures: a tiny charset with regex-special characters, clean rendered lines, tiny models."""

from __future__ import annotations

import os

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from ocrlite.recognition.charset import Charset
from ocrlite.synth.fonts import FONT_DIR, get_font

torch.set_num_threads(1)

#: Nasty on purpose: regex metacharacters, a backslash, a quote, a space.
TINY_CHARSET = "abcdefghijklmnopqrstuvwxyz0123456789 .-]\\^[$*+?(){}|'"

LINES = ["hello world", "the rest", "0123 4567", "[a+b]*c?", "$9.99", "cost (x)", "not|that", "a\\b^c"]


def render_clean(text: str, size: int = 26, font: str = "DejaVuSans.ttf", pad: int = 4) -> Image.Image:
    """A clean black-on-white line (no randomness) for tests."""
    f = get_font(str(FONT_DIR / font), size)
    left, top, right, bottom = f.getbbox(text)
    image = Image.new("L", (right + 2 * pad, bottom - min(top, 0) + 2 * pad), 255)
    ImageDraw.Draw(image).text((pad, pad - min(top, 0)), text, font=f, fill=0)
    return image


@pytest.fixture(scope="session")
def tiny_charset() -> Charset:
    return Charset(TINY_CHARSET)


@pytest.fixture(scope="session")
def line_images() -> list[tuple[Image.Image, str]]:
    return [(render_clean(t), t) for t in LINES]


@pytest.fixture()
def labelled_set(tmp_path, line_images):
    """The fixture lines saved as a labelled set folder (``labels.tsv`` + ``images/``)."""
    folder = tmp_path / "set"
    (folder / "images").mkdir(parents=True)
    rows = []
    for i, (image, text) in enumerate(line_images):
        image.save(folder / "images" / f"{i}.png")
        rows.append(f"images/{i}.png\t{text}")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n")
    return folder


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def trained_checkpoint(tmp_path_factory, tiny_charset, line_images):
    """A tiny model that reads every fixture line exactly (trained until it does, within a bound),
    so tests that check its predictions hold on any CPU's floating-point path."""
    from ocrlite.nn.crnn import build_model
    from helpers import fit_until_exact, save_tiny_checkpoint, tiny_config

    torch.manual_seed(0)
    model = build_model(tiny_config("mobilenet", tiny_charset))
    preds, steps = fit_until_exact(model, tiny_charset, line_images, max_steps=2000, check_every=50)
    assert preds == [t for _, t in line_images], f"the fixture model did not memorise its lines in {steps} steps"
    path = tmp_path_factory.mktemp("ck") / "tiny.pt"
    save_tiny_checkpoint(path, tiny_charset, model=model)
    return path
