"""The ``rare_chars`` text source: lines built so that every character of the charset is drawn often,
in real words and in the contexts it is printed in.

Why: in the rest of the mix a character's frequency is its frequency in text — ``e`` is drawn ~500× as
often as ``ê`` and ~100× as often as ``í`` (`python scripts/bench/char_frequency.py`) — so a model learns
the common neighbour of a rare letter as its prior and writes "hötel" or "Noêl". This source samples a
*target* character uniformly from the charset's rare characters (every character outside ``a–z A–Z 0–9``
and the common punctuation), then writes it the way print uses it:

* an accented or special letter: real words that contain it (from the language word lists, names and
  prose of every language, and a list of words for the letters none of those holds — ``Ålesund``,
  ``Guðrún``, ``Škoda`` —, indexed once), next to words that contain its *siblings* — the letters with
  the same base (``ê`` beside ``é è ë e``) — so the line itself asks the model to tell them apart;
  upper-case targets come from upper-cased words;
* quotes, dashes, the ellipsis, the interpunct, signs and the letters that print as signs (``ª º µ``): a
  template of their use (``„Wort“``, ``l’hôtel``, ``10–20``, ``word — word``, ``et puis…``, ``N·m``,
  ``£12.50``, ``1ª``, ``5 µm``).

A line joins two to five such pieces (one target each). Everything is drawn from the ``rng`` given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from ocrlite.synth.fonts import look_alike_of

Rng = np.random.Generator

#: Opening marks and the closing mark printed with each (and the reverse: which opening a closing mark pairs with).
PAIRS = {"“": "”", "‘": "’", "„": "“", "‚": "‘", "«": "»", "‹": "›", "»": "«", "›": "‹", "(": ")", "[": "]",
         "{": "}", "<": ">", '"': '"'}
CLOSERS = {v: k for k, v in PAIRS.items()}

#: Characters every other source draws often enough: letters, digits and the common punctuation.
COMMON = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-()/%")
#: Letters by Unicode that print as signs: the ordinal indicators after a number (``1ª``, ``2º``) and the micro
#: sign before a unit (``5 µm``) — written in those contexts, not searched for in words.
SIGN_LETTERS = frozenset("ªºµ")


def load_target_weights(path: str | Path) -> dict[str, float]:
    """``char<TAB>…<TAB>weight`` rows of a target-weight table (``# `` comment lines and a ``char`` header skipped).

    Raises:
        ValueError: a row that is not one character and a non-negative number (names the file and line).
    """
    weights: dict[str, float] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("# ") or line.startswith("char\t"):  # "#\t…" is the row of "#"
            continue
        fields = line.split("\t")
        try:
            weight = float(fields[-1])
        except ValueError:
            weight = -1.0
        if len(fields) < 2 or len(fields[0]) != 1 or not weight >= 0.0:
            raise ValueError(f"{path}:{number}: expected a character, a tab and a non-negative weight")
        weights[fields[0]] = weight
    return weights


def base_letter(char: str) -> str:
    """The letter under a diacritic (``ê`` → ``e``, ``Ç`` → ``C``); the character itself when it has none."""
    plain = look_alike_of(char) if char.isalpha() else None
    return plain or char


def rare_targets(charset_chars: str) -> tuple[str, ...]:
    """The characters of a charset that this source writes: all but :data:`COMMON`, in charset order."""
    return tuple(c for c in charset_chars if c not in COMMON)


class RareCharLines:
    """Lines rich in a charset's rare characters (see the module docstring).

    Args:
        charset_chars: the characters lines may use (a line never holds another).
        vocabulary: words to find letters in (word lists, names, prose words of every language).
        target_weights: how much more often to draw some targets (target → weight; 1 where unlisted): the
            characters a model still misreads drawn more (:func:`load_target_weights`).
    """

    def __init__(self, charset_chars: str, vocabulary: Iterable[str],
                 target_weights: Mapping[str, float] | None = None) -> None:
        self.chars = frozenset(charset_chars)
        self.targets = rare_targets(charset_chars)
        weights = np.array([max(float((target_weights or {}).get(c, 1.0)), 0.0) for c in self.targets], np.float64)
        #: how often each target is drawn (uniform, or by ``target_weights``: target → weight, 1 where unlisted)
        self.target_p = weights / weights.sum() if weights.size and weights.sum() > 0 else None
        index: dict[str, set[str]] = {}
        plain: set[str] = set()
        for raw in vocabulary:
            word = raw.strip(".,;:!?\"'()[]{}«»“”„‘’‚‹›…—–-*•·")
            if not (2 <= len(word) <= 18) or not word.isalpha() or not set(word) <= self.chars:
                continue
            for variant in (word, word.upper()) if word.islower() else (word,):
                if not set(variant) <= self.chars:
                    continue
                letters = [c for c in set(variant) if c not in COMMON]
                for c in letters:
                    index.setdefault(c, set()).add(variant)
                if not letters:
                    plain.add(variant)
        #: letter -> sorted words holding it (sorted: the same draw on every run)
        self.words_with = {c: tuple(sorted(ws)) for c, ws in index.items()}
        self.plain_words = tuple(sorted(plain)) or ("word", "text", "line")
        by_base: dict[str, list[str]] = {}
        for c in charset_chars:
            if c.isalpha():
                by_base.setdefault(base_letter(c), []).append(c)
        self._indexed_letters = tuple(c for c in self.targets if c in self.words_with)
        self.siblings = {c: tuple(s for s in by_base[base_letter(c)] if s != c) for c in charset_chars if c.isalpha()}

    # ---------------------------------------------------------------- public
    def line(self, rng: Rng, max_chars: int = 72) -> str:
        """Two to five pieces, each writing one drawn target (:attr:`target_p`), joined as running text ("" for a
        charset without rare characters: the sampler then draws a random string)."""
        if not self.targets:
            return ""
        pieces: list[str] = []
        length = 0
        for _ in range(int(rng.integers(2, 6))):
            target = self.targets[int(rng.choice(len(self.targets), p=self.target_p))]
            piece = self.piece(target, rng)
            if pieces and length + len(piece) + 1 > max_chars:
                break
            pieces.append(piece)
            length += len(piece) + 1
        return " ".join(pieces)[:max_chars].strip()

    def piece(self, target: str, rng: Rng) -> str:
        """A few words that write ``target`` once or more, the way it is printed."""
        is_letter = target.isalpha() and target not in SIGN_LETTERS
        text = self._letter_piece(target, rng) if is_letter else self._sign_piece(target, rng)
        return "".join(c for c in text if c in self.chars)

    # ---------------------------------------------------------------- letters
    def _word(self, rng: Rng, letter: str | None = None) -> str:
        pool = self.words_with.get(letter, ()) if letter else ()
        if not pool:
            pool = self.plain_words
        return pool[int(rng.integers(len(pool)))]

    def _letter_piece(self, letter: str, rng: Rng) -> str:
        if letter not in self.words_with:  # a letter no word holds (þ in most languages): set it alone and in capitals
            return " ".join([self._word(rng), letter, self._word(rng)])
        words = [self._word(rng, letter) for _ in range(int(rng.integers(1, 3)))]
        siblings = [s for s in self.siblings.get(letter, ()) if s in self.words_with or s in "abcdefghijklmnopqrstuvwxyz"]
        if siblings and rng.random() < 0.7:  # a sibling beside it: ê next to é, e, è
            words.append(self._word(rng, siblings[int(rng.integers(len(siblings)))]))
        order = rng.permutation(len(words))
        out = [words[i] for i in order]
        if rng.random() < 0.3:
            out[0] = out[0][:1].upper() + out[0][1:]
        return " ".join(out)

    # ---------------------------------------------------------------- signs
    def _sign_piece(self, sign: str, rng: Rng) -> str:
        w = lambda: self._word(rng, self._any_letter(rng) if rng.random() < 0.5 else None)  # noqa: E731
        n = lambda: str(int(rng.integers(1, 100)))  # noqa: E731
        money = lambda: f"{int(rng.integers(1, 999))}{rng.choice(['.', ','])}{int(rng.integers(0, 100)):02d}"  # noqa: E731
        pairs, closers = PAIRS, CLOSERS
        if sign in pairs or sign in closers:
            opening = sign if sign in pairs else closers[sign]
            closing = pairs[opening]
            inner = " ".join(w() for _ in range(int(rng.integers(1, 4))))
            space = " " if opening in "«»" and rng.random() < 0.5 else ""
            return f"{opening}{space}{inner}{space}{closing}"
        if sign in "’'":
            r = rng.random()
            if r < 0.5:
                return f"{rng.choice(['l', 'd', 'L', 'D', 'qu', 'n', 's', 'j', 'c'])}{sign}{w()}"
            if r < 0.8:
                return f"{w()}{sign}{rng.choice(['s', 't', 're', 'll', 've', 'd'])}"
            return f"{w()}{sign}"
        if sign in "–—":
            r = rng.random()
            if r < 0.4:
                return f"{n()}{sign}{n()}" if sign == "–" else f"{w()}{sign}{w()}"
            return f"{w()} {sign} {w()}"
        if sign == "…":
            return f"{w()}{sign}" if rng.random() < 0.6 else f"{sign} {w()}"
        if sign in "·•":
            return f"{w()} {sign} {w()}" if rng.random() < 0.7 else ("N·m" if sign == "·" else f"{sign} {w()}")
        if sign in "€£¥¢¤$":
            return f"{sign}{money()}" if rng.random() < 0.5 else f"{money()} {sign}"
        if sign in "°º′″":
            return f"{n()}{sign}" + (f" {w()}" if rng.random() < 0.5 else "")
        if sign in "ª":
            return f"{n()}{sign} {w()}"
        if sign == "µ":
            return f"{n()} {sign}{rng.choice(['m', 'g', 's', 'l', 'F', 'V', 'A', 'mol'])}"
        if sign in "¹²³":
            return f"{w()}{sign}" if rng.random() < 0.5 else f"m{sign}"
        if sign in "!?¡¿":
            inverted = {"!": "¡", "?": "¿"}
            if sign in "¡¿":
                return f"{sign}{w().capitalize()}{ {'¡': '!', '¿': '?'}[sign]}"
            return f"{w()}{sign}" if rng.random() < 0.6 else f"{inverted[sign]}{w()}{sign}"
        if sign in "§¶№†‡#":
            return f"{sign} {n()}" if rng.random() < 0.6 else f"{w()}{sign}"
        if sign in "±×÷=+*^~|\\_@&":
            return f"{n()} {sign} {n()}" if rng.random() < 0.6 else f"{w()}{sign}{w()}"
        return f"{w()} {sign} {w()}" if rng.random() < 0.5 else f"{w()}{sign}"

    def _any_letter(self, rng: Rng) -> str | None:
        letters = self._indexed_letters
        return letters[int(rng.integers(len(letters)))] if letters else None
