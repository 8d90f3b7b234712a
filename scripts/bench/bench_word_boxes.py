"""How well ocrlite's word boxes land on the words: synthetic pages in the held-out fonts whose every word's
ink box is known (:class:`ocrlite.synth.pages.SyntheticPage.words`), read with the shipped default model.

    python scripts/bench/bench_word_boxes.py --pages 24

Each true word is matched with the found word that overlaps it most (IoU of the rotated boxes); the table
gives the mean IoU, the share of words at IoU ≥ 0.5 and ≥ 0.7, and the share whose match also reads the
same (case folded), per layout and detector. Pages are skewed ±5° and scan-damaged as in the page tests.
"""

from __future__ import annotations

import argparse

import numpy as np

import ocrlite
from ocrlite.pages.scoring import WordBoxScore, score_words
from ocrlite.synth.pages import LAYOUTS, PageRenderer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=24, help="pages per detector (layouts in turn)")
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    reader = ocrlite.load(threads=args.threads)
    renderer = PageRenderer()
    pages = [renderer.render(np.random.default_rng(args.seed + k), layout=LAYOUTS[k % len(LAYOUTS)])
             for k in range(args.pages)]
    print("| detector | layout | words | mean IoU | IoU ≥ 0.5 | IoU ≥ 0.7 | ≥ 0.5 and read the same |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for detector in ("learned", "classic"):
        per_layout = {layout: WordBoxScore() for layout in LAYOUTS}
        for page in pages:
            result = reader.read_page(page.image, detector=detector)
            found = [(w.text, w.corners) for line in result.lines for w in line.words]
            per_layout[page.layout] += score_words([w for words in page.words for w in words], found)
        rows = list(per_layout.items()) + [("all", sum(per_layout.values(), WordBoxScore()))]
        for layout, s in rows:
            n = max(s.words, 1)
            print(f"| {detector} | {layout} | {s.words} | {s.mean_iou:.3f} | {s.over_half / n:.1%} | "
                  f"{s.over_07 / n:.1%} | {s.read_same / n:.1%} |")


if __name__ == "__main__":
    main()
