"""How often the generator draws each character of the charset: per 1,000 lines, the rarest first.

    python scripts/bench/char_frequency.py --lines 20000                 # the shipped mix (generator v4)
    python scripts/bench/char_frequency.py --lines 20000 --without rare_chars   # the v3 mix (rare_chars off)

It draws the text and the face of each line exactly as training does (``LineGenerator._text_and_font``:
a face that lacks a character, or prints a look-alike for it, passes the line to another face of its
class), without rendering, and counts the characters of the labels. Output: a markdown table of the
``--show`` rarest characters and the ratio of the commonest letter to them.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from ocrlite.recognition.charset import Charset
from ocrlite.synth.generator import GeneratorConfig, LineGenerator, drawable_text
from ocrlite.synth.text import SOURCE_WEIGHTS


def count_characters(lines: int, seed: int, without: list[str]) -> Counter:
    """Characters of ``lines`` generated labels (text and face draws only; no rendering)."""
    weights = {name: 0.0 for name in without} or None
    generator = LineGenerator(Charset.default(), GeneratorConfig(augment=False, text_weights=weights))
    counts: Counter = Counter()
    for index in range(lines):
        raw, font, _ = generator._text_and_font(np.random.default_rng([seed, index]))
        counts.update(drawable_text(raw, font.chars))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20000, help="lines to draw (default: 20000)")
    parser.add_argument("--seed", type=int, default=7, help="data seed (default: 7)")
    parser.add_argument("--without", nargs="*", default=[], choices=sorted(SOURCE_WEIGHTS), metavar="SOURCE",
                        help=f"text sources switched off (valid: {', '.join(sorted(SOURCE_WEIGHTS))})")
    parser.add_argument("--show", type=int, default=30, help="how many of the rarest characters to list (default: 30)")
    args = parser.parse_args(argv)
    counts = count_characters(args.lines, args.seed, args.without)
    charset = Charset.default().chars
    ranked = sorted(charset, key=lambda c: (counts[c], c))
    per_k = lambda c: counts[c] * 1000 / args.lines  # noqa: E731
    print(f"{args.lines} lines, seed {args.seed}, sources off: {', '.join(args.without) or 'none'}\n")
    print("| char | per 1,000 lines |\n|---|---|")
    for c in ranked[: args.show]:
        print(f"| `{c}` | {per_k(c):.2f} |")
    common = max((c for c in charset if c.isalpha()), key=lambda c: counts[c])
    for c in ("ê", "í", "ô", "ï", "Ë"):
        if counts[c]:
            print(f"\n`{common}` : `{c}` = {counts[common] / counts[c]:.0f} : 1", end="")
    print(f"\nrarest: {per_k(ranked[0]):.2f} per 1,000 lines; median character: {per_k(ranked[len(ranked) // 2]):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
