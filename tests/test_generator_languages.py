"""Generator v3 and charset v2: European text, typeset signs, small capitals labelled as capitals, glyph-true fonts."""

import numpy as np
import pytest

from ocrlite.recognition.charset import CHARSET_V2, CHARSET_V2_BLOCKS, PRINTABLE_ASCII, Charset, normalize_text
from ocrlite.synth.generator import LineGenerator
from ocrlite.synth.render import small_caps_label
from ocrlite.synth.text import SOURCE_WEIGHTS, TextSampler
from ocrlite.synth.typeset import typeset


def test_charset_v2_is_ascii_first_and_documented():
    cs = Charset(CHARSET_V2)  # no duplicates, no control characters
    assert CHARSET_V2.startswith(PRINTABLE_ASCII)
    assert {"é", "ß", "ñ", "œ", "€", "“", "”", "’", "—", "–", "…", "°", "½", "№", "•"} <= set(cs.chars)
    assert "\u00a0" not in cs and "\u00ad" not in cs  # NBSP reads as a space; the soft hyphen is never printed
    assert all(reason for _, _, reason in CHARSET_V2_BLOCKS)
    assert Charset.default() == cs and Charset.ascii().chars == PRINTABLE_ASCII


def test_normalize_text_maps_look_alikes():
    assert normalize_text("1\u202f234,56\u00a0€") == "1 234,56 €"
    assert normalize_text("e\u0301te\u0301") == "été"  # NFC
    assert normalize_text("ﬁnal co\u00adop") == "final coop"
    assert normalize_text("\u2212 5") == "- 5"


def test_typeset_uses_each_languages_quotes():
    rng = np.random.default_rng(0)
    fr = {typeset('il dit "oui" ici', np.random.default_rng(i), "fr") for i in range(40)}
    de = {typeset('er sagt "ja" hier', np.random.default_rng(i), "de") for i in range(40)}
    assert any("«" in t for t in fr) and any("„ja“" in t for t in de)
    assert typeset("it's", rng, "en") == "it’s"
    assert "—" in typeset("yes -- no", np.random.default_rng(1)) or "–" in typeset("yes -- no", np.random.default_rng(1))


def test_mix_declares_a_reason_for_every_source_and_keeps_english_the_bulk():
    assert abs(sum(w for w, _ in SOURCE_WEIGHTS.values()) - 1.0) < 1e-6
    assert all(reason for _, reason in SOURCE_WEIGHTS.values())
    new = {"eu_prose", "eu_names", "locale_amount", "signs", "smallcap_heading", "eu_phrase"}
    assert sum(w for name, (w, _) in SOURCE_WEIGHTS.items() if name in new) <= 0.3


@pytest.fixture(scope="module")
def v3_samples():
    gen = LineGenerator(Charset.default())
    return gen, [gen.generate_with_font(11, i) for i in range(300)]


def test_v3_lines_hold_european_text_and_signs(v3_samples):
    _, samples = v3_samples
    text = "".join(label for _, label, _ in samples)
    assert set(text) <= set(CHARSET_V2)
    non_ascii = set(text) - set(PRINTABLE_ASCII)
    assert len(non_ascii) >= 25, sorted(non_ascii)
    assert {"é", "’"} <= non_ascii
    share = sum(any(c not in PRINTABLE_ASCII for c in label) for _, label, _ in samples) / len(samples)
    assert 0.1 <= share <= 0.6, share  # English and receipts stay the bulk


def test_every_label_character_is_drawn_by_its_font(v3_samples):
    _, samples = v3_samples
    for _, label, font in samples:
        missing = {c for c in label if c not in font.chars and c.lower() not in font.chars}
        assert not missing, (label, font.name, missing)


def test_a_line_goes_to_a_same_class_face_that_has_its_characters(monkeypatch):
    gen = LineGenerator(Charset.default())
    partial = [f for f in gen.fonts if "é" not in f.chars and f.font_class]
    if not partial:
        pytest.skip("every shipped face has é")
    target = partial[0]
    monkeypatch.setattr(gen.sampler, "sample_with_source", lambda rng: ("café crème", "prose"))
    monkeypatch.setattr(gen, "families", [[target]])
    _, label, font = gen.generate_with_font(0, 0)
    others = [f for f in gen.by_class[target.font_class] if set("café crème") <= f.chars]
    if others:
        assert font.font_class == target.font_class and label == "café crème"
    else:
        assert label == "cafe creme"  # nothing of its class has é: the bare letter it prints, never tofu


def test_small_capitals_are_labelled_as_capitals():
    assert small_caps_label("Menu du Jour") == "MENU DU JOUR"
    assert small_caps_label("Straße µm") == "STRAßE µM"  # no one-character capital: unchanged
    gen = LineGenerator(Charset.default())
    heads = []
    for i in range(400):
        rng = np.random.default_rng([5, i])
        text, source = gen.sampler.sample_with_source(rng)
        if source == "smallcap_heading":
            heads.append(gen.generate(5, i)[1])
    assert heads and sum(h == h.upper() for h in heads) / len(heads) >= 0.5


def test_ascii_charset_still_draws_ascii_only():
    sampler = TextSampler(Charset.ascii())
    rng = np.random.default_rng(2)
    assert all(set(sampler.sample(rng)) <= set(PRINTABLE_ASCII) for _ in range(300))


@pytest.mark.parametrize("folder", ["train", "holdout"])
def test_the_shipped_coverage_table_matches_the_fonts(folder):
    """coverage.json lists every shipped face at its size and says what it really draws (spot-checked)."""
    from ocrlite.synth.fonts import FONT_DIR, HOLDOUT_FONT_DIR, _coverage_table, _measure_coverage, discover_fonts

    directory = FONT_DIR if folder == "train" else HOLDOUT_FONT_DIR
    table = _coverage_table(str(directory))
    files = discover_fonts(directory)
    assert {p.name for p in files} == set(table)
    for path in files[:: max(1, len(files) // 12)]:
        size, chars = table[path.name]
        assert size == path.stat().st_size
        assert chars == _measure_coverage(str(path), CHARSET_V2), path.name
