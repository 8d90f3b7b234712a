"""Issue 39: rare characters drawn often, in words and contexts, and labelled as the face prints them."""

from collections import Counter

import numpy as np
import pytest

from ocrlite.recognition.charset import CHARSET_V2, Charset
from ocrlite.synth.fonts import FONT_DIR, _measure_coverage, look_alike_of
from ocrlite.synth.generator import GeneratorConfig, LineGenerator, drawable_text
from ocrlite.synth.rare import (COMMON, SIGN_LETTERS, RareCharLines, base_letter, load_target_weights,
                                rare_targets)
from ocrlite.synth.text import SOURCE_WEIGHTS, TextSampler

VOCABULARY = ["hôtel", "été", "père", "fête", "Noël", "naïve", "maïs", "ìsola", "così", "año", "Straße", "plain", "words"]


def test_targets_are_the_charset_outside_letters_digits_and_common_punctuation():
    targets = rare_targets(CHARSET_V2)
    assert {"ê", "Ë", "ï", "”", "–", "…", "·", "£", "№"} <= set(targets)
    assert not set(targets) & COMMON
    assert base_letter("ê") == "e" and base_letter("Ç") == "C" and base_letter("”") == "”"


def test_rare_lines_write_every_target_in_words_and_beside_its_siblings():
    lines = RareCharLines(CHARSET_V2, VOCABULARY)
    rng = np.random.default_rng(0)
    drawn = [lines.line(rng) for _ in range(3000)]
    seen = Counter("".join(drawn))
    assert set(seen) <= set(CHARSET_V2)
    missing = [c for c in rare_targets(CHARSET_V2) if seen[c] == 0]
    assert not missing, missing
    assert all(0 < len(line) <= 72 for line in drawn)
    # a letter is written inside real words of the vocabulary, and its sibling comes along
    with_e_hat = [line for line in drawn if "fête" in line or "FÊTE" in line]
    assert with_e_hat
    assert sum(any(w in line for w in ("été", "père", "ÉTÉ", "PÈRE", "Noël", "NOËL")) for line in with_e_hat) \
        >= len(with_e_hat) // 4
    # signs in their printed contexts
    assert any("„" in line and "“" in line for line in drawn)
    assert any(ch.isdigit() and "–" in line for line in drawn for ch in line[:1])


def test_every_letter_of_the_charset_is_written_inside_shipped_words():
    """The shipped texts plus the rare-letter list hold a word for every letter target (å, ð, þ, š, ž …), so no
    letter is only ever drawn alone between words; the letters that print as signs follow a number."""
    sampler = TextSampler(Charset.default())
    lines = RareCharLines(CHARSET_V2, sampler._rare_vocabulary())
    letters = [c for c in rare_targets(CHARSET_V2) if c.isalpha() and c not in SIGN_LETTERS]
    assert not [c for c in letters if c not in lines.words_with]
    assert all(c in w for c in "ÅðþšŽ" for w in lines.words_with[c])
    rng = np.random.default_rng(1)
    for sign in SIGN_LETTERS:
        for _ in range(20):
            piece = lines.piece(sign, rng)
            before = piece[: piece.index(sign)].rstrip()
            assert before and before[-1].isdigit(), piece


def test_target_weights_draw_the_heavier_characters_more_often(tmp_path):
    table = tmp_path / "weights.tsv"
    table.write_text("# a comment\nchar\tcount\trecall\tweight\nï\t10\t0.2\t5\n€\t10\t1.0\t1\n", encoding="utf-8")
    weights = load_target_weights(table)
    assert weights == {"ï": 5.0, "€": 1.0}
    lines = RareCharLines(CHARSET_V2, VOCABULARY, weights)
    rng = np.random.default_rng(2)
    drawn = Counter("".join(lines.line(rng) for _ in range(2000)))
    assert drawn["ï"] >= 2.5 * drawn["€"], (drawn["ï"], drawn["€"])  # 5 : 1 by weight, ï also in sibling words
    table.write_text("ï\tmany\n", encoding="utf-8")
    with pytest.raises(ValueError, match="weights.tsv:1"):
        load_target_weights(table)


def test_the_shipped_target_weights_cover_the_rare_characters():
    from ocrlite.synth.text import RARE_TARGET_WEIGHTS

    weights = load_target_weights(RARE_TARGET_WEIGHTS)
    assert set(weights) == set(rare_targets(CHARSET_V2))
    assert all(1.0 <= w <= 5.0 for w in weights.values())


def test_the_mix_draws_rare_characters_far_more_often():
    def counts(weights):
        sampler = TextSampler(Charset.default(), weights=weights)
        rng = np.random.default_rng(3)
        return Counter("".join(sampler.sample(rng) for _ in range(3000)))

    with_rare, without = counts(None), counts({"rare_chars": 0.0})
    rare = ("ê", "ï", "Ë", "„", "£")  # a few dozen each in 3,000 lines: counted together, each at least as often
    table = [(c, with_rare[c], without[c]) for c in rare]
    assert sum(with_rare[c] for c in rare) >= 2 * sum(without[c] for c in rare), table
    for c in rare:
        assert with_rare[c] >= without[c], (c, with_rare[c], without[c])
    assert abs(sum(w for w, _ in SOURCE_WEIGHTS.values()) - 1.0) < 1e-6
    assert SOURCE_WEIGHTS["rare_chars"][0] <= 0.15  # English and receipts keep the bulk


def test_a_face_that_prints_the_plain_character_is_not_said_to_draw_the_typographic_one():
    """GNU Typewriter draws ” as the straight ", so its lines must not be labelled ”; DejaVu Serif has its own."""
    typewriter = FONT_DIR / "GNUTypewriter.ttf"
    serif = next(FONT_DIR.glob("DejaVuSerif.ttf"), None)
    if not typewriter.is_file() or serif is None:
        pytest.skip("the shipped library lacks GNU Typewriter or DejaVu Serif")
    plain_face = _measure_coverage(str(typewriter), CHARSET_V2)
    assert '"' in plain_face and "”" not in plain_face
    assert {'"', "”", "“", "’", "–", "ê"} <= _measure_coverage(str(serif), CHARSET_V2)
    assert look_alike_of("”") == '"' and look_alike_of("ê") == "e" and look_alike_of("a") is None


def test_a_quote_drawn_nearly_like_the_straight_one_counts_as_the_straight_one():
    """Junction draws ’ and Compagnon ” so nearly like ' and " (bitmaps correlating ≥ 0.95) that no reader could
    tell which was meant: their lines are labelled with the straight quote. Liberation Sans Italic's slanted ’
    (0.83) is a glyph of its own, and an accent is never dropped for looking close to its bare letter."""
    from ocrlite.synth.fonts import NEAR_SAME_SIMILARITY, _drawn_the_same, get_font

    faces = {name: FONT_DIR / name for name in ("Junction.otf", "Compagnon-Roman.otf", "LiberationSans-Italic.ttf")}
    if not all(p.is_file() for p in faces.values()):
        pytest.skip("the shipped library lacks one of the faces")
    junction = _measure_coverage(str(faces["Junction.otf"]), CHARSET_V2)
    compagnon = _measure_coverage(str(faces["Compagnon-Roman.otf"]), CHARSET_V2)
    liberation = _measure_coverage(str(faces["LiberationSans-Italic.ttf"]), CHARSET_V2)
    assert "'" in junction and "’" not in junction
    assert '"' in compagnon and "”" not in compagnon
    assert {"'", "’", '"', "”"} <= liberation
    font = get_font(str(faces["Junction.otf"]), 28)
    assert not _drawn_the_same(font, "í", "i") and NEAR_SAME_SIMILARITY >= 0.95


def test_a_sign_drawn_nearly_like_its_plain_look_alike_counts_as_the_plain_one():
    """The rule is the quotes' for every typographic sign with a plain look-alike: Noto Sans Bold Italic's ``‚`` is
    its comma but for hinting, Anonymous Pro Italic's ``–`` its hyphen; Liberation Sans draws both apart."""
    faces = {name: FONT_DIR / name for name in ("NotoSans-BoldItalic.ttf", "AnonymousProI.ttf",
                                                "LiberationSans-Regular.ttf")}
    if not all(p.is_file() for p in faces.values()):
        pytest.skip("the shipped library lacks one of the faces")
    noto, anonymous, liberation = (_measure_coverage(str(p), CHARSET_V2) for p in faces.values())
    assert "," in noto and "‚" not in noto and "–" in noto
    assert "-" in anonymous and "–" not in anonymous and "‚" in anonymous
    assert {",", "‚", "-", "–"} <= liberation


def test_a_character_the_face_lacks_becomes_the_plain_one_it_prints():
    chars = frozenset('abcdehlotr" ')
    assert drawable_text("«”hôtel”» ça", chars) == '"hotel" ca'
    assert drawable_text("fête", frozenset("fêt")) == "fêt"  # nothing to stand in for e: left out


def test_labels_never_hold_a_typographic_character_the_face_draws_as_plain():
    gen = LineGenerator(Charset.default(), GeneratorConfig(augment=False, text_weights={
        name: (1.0 if name == "rare_chars" else 0.0) for name in SOURCE_WEIGHTS}))
    for i in range(200):
        raw, font, _ = gen._text_and_font(np.random.default_rng([9, i]))
        label = drawable_text(raw, font.chars)
        assert set(label) <= font.chars, (label, font.name)
