"""Beam search against brute force, width 1 against greedy, allow/block, lexicon, confidences."""

import itertools
from collections import defaultdict

import numpy as np
import pytest

from ocrlite.recognition.charset import Charset
from ocrlite.recognition.decode import align_confidences, class_mask, decode, greedy_decode, prefix_beam_search, softmax


def brute_force_best_labeling(probs: np.ndarray) -> tuple[int, ...]:
    """The labeling with the highest total probability, summing over all K^T alignments."""
    t_len, k = probs.shape
    totals: dict[tuple[int, ...], float] = defaultdict(float)
    for path in itertools.product(range(k), repeat=t_len):
        label, prev = [], 0
        for c in path:
            if c != 0 and c != prev:
                label.append(c)
            prev = c
        totals[tuple(label)] += float(np.prod([probs[t, c] for t, c in enumerate(path)]))
    return max(totals, key=totals.get)


@pytest.mark.parametrize("seed", range(25))
def test_beam_equals_brute_force_on_tiny_inputs(seed):
    rng = np.random.default_rng(seed)
    t_len, k = int(rng.integers(1, 6)), int(rng.integers(2, 4))
    probs = softmax(rng.normal(size=(t_len, k)) * 2)
    assert tuple(prefix_beam_search(probs, beam_width=64, prune=0.0)) == brute_force_best_labeling(probs)


@pytest.mark.parametrize("seed", range(20))
def test_beam_width_one_equals_greedy_on_peaky_outputs(seed):
    rng = np.random.default_rng(seed)
    cs = Charset("abcd")
    logits = np.full((2, 30, 5), -8.0, np.float32)
    path = rng.integers(0, 5, (2, 30))
    for b in range(2):
        logits[b, np.arange(30), path[b]] = 8.0
    logits += rng.normal(size=logits.shape).astype(np.float32)
    greedy = greedy_decode(logits, cs)
    beam = decode(logits, cs, method="beam", beam_width=1)
    assert [p.text for p in beam] == [p.text for p in greedy]
    for g, bm in zip(greedy, beam):
        assert np.allclose(g.char_confidences, bm.char_confidences, atol=1e-5)


def test_allow_digits_never_emits_anything_else_but_the_spaces_between_them():
    cs = Charset.default()
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 40, cs.num_classes)).astype(np.float32) * 4
    for method in ("greedy", "beam"):
        for p in decode(logits, cs, method=method, allow="0123456789"):
            assert set(p.text) <= set("0123456789 "), p.text  # spaces stay unless blocked
            assert len(p.char_confidences) == len(p.text)
        for p in decode(logits, cs, method=method, allow="0123456789", block=" "):
            assert set(p.text) <= set("0123456789"), p.text
    blocked = decode(logits, cs, block="aeiou ")
    assert all(not set(p.text) & set("aeiou ") for p in blocked)


def test_mask_rejects_unknown_characters():
    with pytest.raises(ValueError, match="é"):
        class_mask(Charset("abc"), allow="aé")


def test_lexicon_breaks_a_close_call():
    cs = Charset("celo ")
    ids = {c: i + 1 for i, c in enumerate(cs.chars)}
    frames = ["c", "e", "l", "l_or_o", "blank"]
    probs = np.full((len(frames), cs.num_classes), 1e-3)
    for t, f in enumerate(frames):
        if f == "blank":
            probs[t, 0] = 1
        elif f == "l_or_o":
            probs[t, ids["l"]], probs[t, ids["o"]] = 0.52, 0.48
        else:
            probs[t, ids[f]] = 1
    probs /= probs.sum(1, keepdims=True)
    plain = cs.decode(prefix_beam_search(probs, 8))
    with_lexicon = cs.decode(prefix_beam_search(probs, 8, frozenset({"celo"}), cs))
    assert plain == "cel" and with_lexicon == "celo"


def test_alignment_confidences_match_greedy_on_peaky_path():
    cs = Charset("ab")
    logits = np.full((1, 6, 3), -9.0, np.float32)
    for t, c in enumerate([1, 1, 0, 1, 2, 0]):
        logits[0, t, c] = 9.0
    probs = softmax(logits[0])
    greedy = greedy_decode(logits, cs)[0]
    assert greedy.text == "aab"
    assert np.allclose(align_confidences(probs, [1, 1, 2]), greedy.char_confidences)
