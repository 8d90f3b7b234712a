"""Two models' reading speed, A/B: separate processes in alternating order, medians.

    python scripts/bench/ab_speed.py previous_default.onnx ocrlite/models/default.onnx --set SROIE_DEV [--rounds 3]

Each run is a fresh process: load the model on one thread, read 100 lines to warm up, then time
``predict_prepared([prepare(image)])`` over ``--lines`` lines (batch 1). Rounds run A B B A, so neither model is
always first. Prints each model's lines/s per run, the medians and their ratio (B / A).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def one_run(weights: str, labels: str, lines: int) -> float:
    """Lines/s of one fresh process reading ``lines`` lines of ``labels`` with ``weights``."""
    from ocrlite.api import load_recognizer
    from ocrlite.datasets.line_sets import read_label_set

    found, _ = read_label_set(labels)
    images = [line.load() for line in found[:lines]]
    model = load_recognizer(weights, "auto", threads=1)
    for image in images[:100]:
        model.predict_prepared([model.prepare(image)])
    start = time.perf_counter()
    for image in images:
        model.predict_prepared([model.prepare(image)])
    return len(images) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--set", required=True, help="labelled line set to read")
    parser.add_argument("--lines", type=int, default=1000, help="lines per run (default: 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="A B B A rounds (default: 3)")
    parser.add_argument("--_one", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._one:
        print(one_run(args._one[0], args.set, args.lines))
        return 0
    speeds: dict[str, list[float]] = {args.a: [], args.b: []}
    for _ in range(args.rounds):
        for weights in (args.a, args.b, args.b, args.a):
            out = subprocess.run([sys.executable, __file__, args.a, args.b, "--set", args.set, "--lines", str(args.lines),
                                  "--_one", weights], capture_output=True, text=True, check=True)
            speeds[weights].append(float(out.stdout.split()[-1]))
    for weights, values in speeds.items():
        print(f"{weights}: median {statistics.median(values):.0f} lines/s  runs {[round(v) for v in values]}")
    print(f"ratio B / A: {statistics.median(speeds[args.b]) / statistics.median(speeds[args.a]):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
