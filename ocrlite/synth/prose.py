"""Runs of consecutive words from real English text (``ocrlite/data/corpus/prose.txt``).

The corpus holds one paragraph per line, ``tag<TAB>text`` (tag ``doc``: technical and
specification prose; ``book``: quotations from literature and everyday writing). A line of a
document is a window of consecutive words of a paragraph, so word frequencies, punctuation,
capitalisation and apostrophes are those of the source texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

Rng = np.random.Generator


@dataclass(frozen=True)
class ProseCorpus:
    """Paragraphs as word lists, grouped by tag."""

    paragraphs: dict[str, tuple[tuple[str, ...], ...]]

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(sorted(self.paragraphs))

    def words_of(self, rng: Rng, tag: str | None = None) -> tuple[str, ...]:
        tags = self.tags
        pool = self.paragraphs[tag if tag in self.paragraphs else tags[int(rng.integers(len(tags)))]]
        return pool[int(rng.integers(len(pool)))]


@lru_cache(maxsize=4)
def load_prose(path: str) -> ProseCorpus:
    """Read a prose file (``tag<TAB>paragraph`` per line; a line without a tab gets tag ``doc``).

    Raises:
        ValueError: the file holds no paragraph of at least two words.
    """
    groups: dict[str, list[tuple[str, ...]]] = {}
    from ocrlite.utils.limits import read_text_capped

    for line in read_text_capped(path, "prose file").splitlines():
        tag, _, text = line.partition("\t") if "\t" in line else ("doc", "", line)
        words = tuple(text.split())
        if len(words) >= 2:
            groups.setdefault(tag.strip() or "doc", []).append(words)
    if not groups:
        raise ValueError(f"{path}: no prose paragraphs (one paragraph per line, at least two words)")
    return ProseCorpus({tag: tuple(ps) for tag, ps in groups.items()})


def word_window(words: tuple[str, ...], rng: Rng, max_chars: int) -> list[str]:
    """Consecutive words from a random start, as many as fit in ``max_chars`` (at least one)."""
    start = int(rng.integers(len(words)))
    if rng.random() < 0.25:  # lines often start a sentence
        starts = [i for i in range(1, len(words)) if words[i - 1][-1:] in ".?!:"]
        if starts:
            start = starts[int(rng.integers(len(starts)))]
    out: list[str] = []
    length = -1
    for word in words[start:] + words[:start]:
        if out and length + 1 + len(word) > max_chars:
            break
        out.append(word)
        length += 1 + len(word)
    return out


def hyphenate(words: list[str], rng: Rng) -> list[str]:
    """Split the last word as a justified line does ("docu-"), or start with a word's tail."""
    if not words:
        return words
    if rng.random() < 0.5:
        last = words[-1]
        if len(last) >= 6 and last.isalpha():
            cut = int(rng.integers(2, len(last) - 2))
            return words[:-1] + [last[:cut] + "-"]
    else:
        first = words[0]
        if len(first) >= 6 and first.isalpha():
            cut = int(rng.integers(2, len(first) - 2))
            return [first[cut:]] + words[1:]
    return words


def prose_line(corpus: ProseCorpus, rng: Rng, max_chars: int, tag: str | None = None) -> str:
    """One line of running text: a word window, sometimes hyphenated, sometimes in capitals or title case."""
    words = word_window(corpus.words_of(rng, tag), rng, max_chars)
    if rng.random() < 0.15:
        words = hyphenate(words, rng)
    text = " ".join(words)
    r = rng.random()
    if r < 0.04:
        return text.upper()
    if r < 0.07:
        return text.lower()
    return text
