"""Cutting a loose line crop to its text band: letters kept whole, specks/rules/neighbours ignored, tight crops left alone."""

import numpy as np
import pytest

from ocrlite.recognition.preprocess import PreprocessConfig, prepare
from ocrlite.recognition.text_band import text_band, trim_to_text
from tests.conftest import render_clean


def _ink_rows(gray: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero((gray < 128).any(axis=1))
    return int(rows[0]), int(rows[-1]) + 1


def _loose(text: str, above: int = 40, below: int = 40, size: int = 20) -> np.ndarray:
    """``text`` rendered tight, then padded with white rows above and below."""
    tight = np.asarray(render_clean(text, size=size, pad=2))
    return np.pad(tight, ((above, below), (0, 0)), constant_values=255)


@pytest.mark.parametrize("text", ["Typography, quietly", "minimum", "naïve café", "ALL CAPS 2024", "i i i"])
def test_band_holds_every_letter_with_a_margin(text):
    gray = _loose(text)
    band = text_band(gray)
    assert band is not None, text
    ink_top, ink_bottom = _ink_rows(gray)
    ink_h = ink_bottom - ink_top
    assert band[0] < ink_top and band[1] > ink_bottom  # dots, accents and descenders inside
    assert band[0] >= ink_top - 0.3 * ink_h - 2 and band[1] <= ink_bottom + 0.3 * ink_h + 2  # and not much more


def test_tight_blank_and_flat_crops_are_left_alone():
    tight = np.asarray(render_clean("Typography, quietly", size=20, pad=2))
    assert text_band(tight) is None
    assert trim_to_text(tight) is tight
    assert text_band(np.full((60, 300), 255, np.uint8)) is None
    faint = np.full((60, 300), 200, np.uint8)
    faint[28:32, 10:200] = 190  # 10 grey levels of "ink": no readable text
    assert text_band(faint) is None
    noise = np.clip(np.random.default_rng(0).normal(200, 6, (60, 300)), 0, 255).astype(np.uint8)
    assert text_band(noise) is None  # paper grain is not ink
    assert text_band(np.zeros((8, 300), np.uint8)) is None  # too few rows to cut
    assert text_band(_loose("word").astype(np.float32)) is None  # only uint8 is read


def test_rules_specks_and_a_neighbour_fragment_do_not_widen_the_band():
    clean = _loose("Typography, quietly")
    band = text_band(clean)
    noisy = clean.copy()
    noisy[5:7, :] = 0  # a table rule across the top
    noisy[-12, 50] = noisy[-30, 120] = 0  # specks
    width = noisy.shape[1]
    for x in range(10, width - 20, 14):  # a neighbour line's letter bodies far below
        noisy[-9:-2, x:x + 6] = 0
    assert text_band(noisy) == band


def test_light_text_on_dark_ground():
    gray = _loose("Typography, quietly")
    assert text_band(255 - gray) == text_band(gray)


def test_prepare_trims_only_when_asked():
    gray = _loose("Typography, quietly", above=60, below=60)
    plain, trimmed = PreprocessConfig(), PreprocessConfig(trim_to_text=True)
    assert prepare(gray, plain).shape[1] < prepare(gray, trimmed).shape[1] / 2  # the letters fill the 32 rows
    ink = prepare(gray, trimmed) < 0  # dark after normalisation
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows[0] > 0 and rows[-1] < 31 and rows[-1] - rows[0] >= 18  # whole, with a margin, and large
    with pytest.raises(ValueError, match="trim_to_text"):
        PreprocessConfig(trim_to_text="yes")


def test_trimmed_input_does_not_depend_on_the_blank_around_the_line():
    tight = np.asarray(render_clean("Quartz (jiggly) 42", size=26, pad=4))
    config = PreprocessConfig(trim_to_text=True)
    reference = prepare(np.pad(tight, ((30, 30), (0, 0)), constant_values=255), config)
    for above, below in ((40, 40), (10, 70), (70, 10)):
        loose = np.pad(tight, ((above, below), (0, 0)), constant_values=255)
        np.testing.assert_array_equal(prepare(loose, config), reference)


def test_a_trim_that_would_make_the_line_too_wide_is_skipped():
    gray = _loose("Typography, quietly", above=60, below=60)
    untrimmed_w = prepare(gray, PreprocessConfig()).shape[1]
    config = PreprocessConfig(trim_to_text=True, max_width=untrimmed_w + 8)
    np.testing.assert_array_equal(prepare(gray, config), prepare(gray, PreprocessConfig(max_width=untrimmed_w + 8)))


def test_dot_matrix_letters_are_letters():
    gray = _loose("Typography, quietly")
    dotted = gray.copy()
    dotted[::2, :] = 255  # every other row blank: letters made of separate dots
    dotted[:, ::2] = 255
    band = text_band(dotted)
    assert band is not None
    ink_top, ink_bottom = _ink_rows(dotted)
    assert band[0] < ink_top and band[1] > ink_bottom


def test_two_lines_of_equal_weight_are_left_alone():
    one = np.asarray(render_clean("Typography, quietly", size=20, pad=2))
    two = np.vstack([np.full((30, one.shape[1]), 255, np.uint8), one, np.full((6, one.shape[1]), 255, np.uint8),
                     one, np.full((30, one.shape[1]), 255, np.uint8)])
    assert text_band(two) is None
