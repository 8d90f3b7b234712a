"""Recognition metrics: CER, WER, exact-line accuracy, with optional case and space folding."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import editdistance

_SPACES = re.compile(r"\s+")


def normalize(text: str, fold_case: bool = False, ignore_space: bool = False) -> str:
    """Fold case (``casefold``) and/or drop all whitespace; otherwise collapse runs of spaces and strip."""
    if fold_case:
        text = text.casefold()
    if ignore_space:
        return _SPACES.sub("", text)
    return _SPACES.sub(" ", text).strip()


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance between two strings (or token lists)."""
    return int(editdistance.eval(a, b))


@dataclass
class Scores:
    """Aggregate scores of a set of lines.

    Attributes:
        lines: number of lines.
        cer: Σ character edit distance / Σ reference length.
        wer: Σ word edit distance / Σ reference words.
        accuracy: fraction of lines recognised exactly.
        char_errors: Σ character edit distance.
        ref_chars: Σ reference length.
    """

    lines: int
    cer: float
    wer: float
    accuracy: float
    char_errors: int
    ref_chars: int


def score(predictions: Sequence[str], references: Sequence[str], fold_case: bool = False,
          ignore_space: bool = False) -> Scores:
    """CER, WER and exact-line accuracy of ``predictions`` against ``references`` (same order)."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    char_err = ref_chars = word_err = ref_words = exact = 0
    for p, r in zip(predictions, references):
        p, r = normalize(p, fold_case, ignore_space), normalize(r, fold_case, ignore_space)
        char_err += edit_distance(p, r)
        ref_chars += len(r)
        pw, rw = p.split(), r.split()
        word_err += edit_distance(pw, rw)
        ref_words += len(rw)
        exact += p == r
    n = len(references)
    return Scores(
        lines=n,
        cer=char_err / max(ref_chars, 1),
        wer=word_err / max(ref_words, 1),
        accuracy=exact / max(n, 1),
        char_errors=char_err,
        ref_chars=ref_chars,
    )
