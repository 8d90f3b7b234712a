"""Charset round trips and CTC greedy decoding against brute force."""

import itertools

import numpy as np
import pytest

from ocrlite.recognition.charset import PRINTABLE_ASCII, Charset, CharsetError
from ocrlite.recognition.decode import greedy_decode, softmax


def test_default_is_95_printable_ascii():
    cs = Charset.ascii()
    assert len(cs) == 95 and cs.num_classes == 96 and cs.chars == PRINTABLE_ASCII and " " in cs


def test_round_trip_with_regex_special_characters(tiny_charset):
    for text in ["a]b", "\\^$", "[.*+?]", "(x|y){2}", "it's a test", "-"]:
        assert tiny_charset.decode(tiny_charset.encode(text)) == text


def test_unknown_characters_are_reported_not_mangled(tiny_charset):
    assert tiny_charset.unknown("abcé€") == ["é", "€"]
    with pytest.raises(CharsetError, match="é"):
        tiny_charset.encode("café")


def test_charset_file_single_line_and_one_per_line(tmp_path):
    (tmp_path / "one.txt").write_text("ab]\\^-\n", encoding="utf-8")
    assert Charset.from_file(tmp_path / "one.txt").chars == "ab]\\^-"
    (tmp_path / "many.txt").write_text("a\n \n]\n\\\n", encoding="utf-8")
    assert Charset.from_file(tmp_path / "many.txt").chars == "a ]\\"
    (tmp_path / "bad.txt").write_text("ab\ncd\n", encoding="utf-8")
    with pytest.raises(CharsetError, match="exactly one character"):
        Charset.from_file(tmp_path / "bad.txt")


@pytest.mark.parametrize("chars", ["", "aa", "a\tb"])
def test_invalid_charsets(chars):
    with pytest.raises(CharsetError):
        Charset(chars)


def brute_force_best_path(probs: np.ndarray) -> tuple[list[int], ...]:
    """The single most probable frame path, by enumerating all K^T paths."""
    t_len, k = probs.shape
    best, best_p = None, -1.0
    for path in itertools.product(range(k), repeat=t_len):
        p = float(np.prod([probs[t, c] for t, c in enumerate(path)]))
        if p > best_p:
            best, best_p = path, p
    return best


def collapse(path) -> list[int]:
    out, prev = [], 0
    for c in path:
        if c != 0 and c != prev:
            out.append(c)
        prev = c
    return out


@pytest.mark.parametrize("seed", range(20))
def test_greedy_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    cs = Charset("ab")
    t_len = int(rng.integers(1, 6))
    logits = rng.normal(size=(1, t_len, 3)).astype(np.float32) * 3
    pred = greedy_decode(logits, cs)[0]
    assert pred.text == cs.decode(collapse(brute_force_best_path(softmax(logits[0]))))
    assert len(pred.char_confidences) == len(pred.text)
    assert 0.0 <= pred.confidence <= 1.0


def test_greedy_respects_lengths_and_repeats():
    cs = Charset("ab")
    # frames: a a blank a b | padding b b
    path = [1, 1, 0, 1, 2, 2, 2]
    logits = np.full((1, 7, 3), -10.0, np.float32)
    for t, c in enumerate(path):
        logits[0, t, c] = 10.0
    assert greedy_decode(logits, cs, [5])[0].text == "aab"
    assert greedy_decode(logits, cs)[0].text == "aab"
    pred = greedy_decode(logits, cs, [5])[0]
    assert all(c > 0.99 for c in pred.char_confidences)


def test_empty_prediction_has_a_confidence():
    logits = np.zeros((1, 4, 3), np.float32)
    logits[..., 0] = 5
    pred = greedy_decode(logits, Charset("ab"))[0]
    assert pred.text == "" and pred.char_confidences == [] and pred.confidence > 0.9
