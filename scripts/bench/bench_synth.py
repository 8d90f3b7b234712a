"""Synthetic-line throughput on one core, with and without augmentation (generator-v2 target: ≥ 500 lines/s).

    python scripts/bench/bench_synth.py [--n 2000] [--height 32] [--warmup 20000]

Each configuration renders the same indices after a warm-up; the median of 3 repeats is reported.
Lines are rendered, augmented, and resized to the model height (what training consumes). The
warm-up fills the glyph cache as a training worker's first lines do (a worker renders ~100 k
lines in a 168 k-sample run); the first 2,000 lines of a fresh process are reported too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

from ocrlite.recognition.charset import Charset  # noqa: E402
from ocrlite.recognition.preprocess import PreprocessConfig, prepare  # noqa: E402
from ocrlite.synth.generator import GeneratorConfig, LineGenerator  # noqa: E402
from ocrlite.synth.render import glyph_bitmap  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--height", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=20000, help="lines rendered before timing")
    args = parser.parse_args()
    if args.warmup < 2000:
        parser.error("--warmup must be at least 2000 (the first 2,000 lines are reported)")
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    pre = PreprocessConfig(height=args.height)
    print("| configuration | lines/s (1 core, median of 3) | mean chars/line | first 2,000 lines of a process, lines/s |")
    print("|---|---|---|---|")
    for name, augment in (("render + augment + resize", True), ("render + resize (no augmentation)", False)):
        glyph_bitmap.cache_clear()
        gen = LineGenerator(Charset.default(), GeneratorConfig(augment=augment))
        start = time.perf_counter()
        for i in range(args.warmup):
            gen.generate(0, i)
            if i == 1999:
                cold = 2000 / (time.perf_counter() - start)
        rates, chars = [], 0
        for _ in range(3):
            start = time.perf_counter()
            chars = 0
            for i in range(args.n):
                image, text = gen.generate(1, i)
                prepare(image, pre)
                chars += len(text)
            rates.append(args.n / (time.perf_counter() - start))
        print(f"| {name} | {statistics.median(rates):.0f} | {chars / args.n:.1f} | {cold:.0f} |")


if __name__ == "__main__":
    main()
