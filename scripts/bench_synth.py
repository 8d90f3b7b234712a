"""Synthetic-line throughput on one core, with and without augmentation (issue: ≥ 1,000 lines/s goal).

    python scripts/bench_synth.py [--n 2000] [--height 32]

Each configuration renders the same indices after a warm-up; the median of 3 repeats is reported.
Lines are rendered, augmented, and resized to the model height (what training consumes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

from ocrlite.charset import Charset  # noqa: E402
from ocrlite.preprocess import PreprocessConfig, prepare  # noqa: E402
from ocrlite.synth.generator import GeneratorConfig, LineGenerator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--height", type=int, default=32)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    pre = PreprocessConfig(height=args.height)
    print("| configuration | lines/s (1 core, median of 3) | mean chars/line |")
    print("|---|---|---|")
    for name, augment in (("render + augment + resize", True), ("render + resize (no augmentation)", False)):
        gen = LineGenerator(Charset.default(), GeneratorConfig(augment=augment))
        for i in range(100):
            gen.generate(0, i)
        rates, chars = [], 0
        for _ in range(3):
            start = time.perf_counter()
            chars = 0
            for i in range(args.n):
                image, text = gen.generate(1, i)
                prepare(image, pre)
                chars += len(text)
            rates.append(args.n / (time.perf_counter() - start))
        print(f"| {name} | {statistics.median(rates):.0f} | {chars / args.n:.1f} |")


if __name__ == "__main__":
    main()
