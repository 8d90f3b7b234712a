"""Measure a trained model's CER at several horizontal stretches and pick the best ``width_scale``.

    python scripts/tune_width_scale.py WEIGHTS --sets SET [SET ...] [--grid 0.9,1.0,1.1,...] [--fold-case]

Each line is resized to the model height (aspect kept) and then stretched by the factor: more columns
give CTC more time steps per character, which helps models whose training lines were wider per
character than the lines they read. The chosen factor is the one with the lowest mean CER over
the sets (ties go to the factor nearest 1.0). Tune on synthetic validation lines, not on the set
you report: ``ocrlite synth --out /tmp/tune_seen --n 1000 --seed 31`` and
``ocrlite synth --out /tmp/tune_unseen --n 1000 --seed 32 --fonts data/fonts/holdout``. Store the
result in a shipped file with ``scripts/ship_weights.py SRC DEST --width-scale X``, or try it
with ``ocrlite predict/eval --width-scale X``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from pathlib import Path

from ocrlite.data import read_label_set
from ocrlite.engine import BaseRecognizer
from ocrlite.evaluate import evaluate_prepared
from ocrlite.weights import load_recognizer


def tune(rec: BaseRecognizer, sets: dict[str, tuple[list, list[str]]], grid: list[float],
         fold_case: bool) -> tuple[float, list[dict]]:
    """CER per set and factor; returns the best factor and one row per factor.

    ``sets``: name → (``(h, w)`` uint8 grayscale images, transcriptions).
    """
    base = rec.preprocess
    rows = []
    widest = dataclasses.replace(base, width_scale=max(grid))
    fits = {}
    for name, (grays, truths) in sets.items():  # the same lines at every factor: drop those too wide at the largest
        keep = [i for i, g in enumerate(grays) if _fits(g, widest)]
        fits[name] = ([grays[i] for i in keep], [truths[i] for i in keep])
    sets = fits
    try:
        for factor in grid:
            rec.preprocess = dataclasses.replace(base, width_scale=factor)
            row = {"width_scale": factor}
            for name, (grays, truths) in sets.items():
                images = [rec.prepare(g) for g in grays]
                row[name] = evaluate_prepared(rec, images, truths, batch_size=32, fold_case=fold_case)[0].cer
            row["mean"] = statistics.fmean(row[name] for name in sets)
            rows.append(row)
    finally:
        rec.preprocess = base
    best = min(rows, key=lambda r: (round(r["mean"], 6), abs(r["width_scale"] - 1.0)))
    return best["width_scale"], rows


def _fits(gray, preprocess) -> bool:
    from ocrlite.preprocess import ImageTooWideError, prepare

    try:
        prepare(gray, preprocess)
        return True
    except ImageTooWideError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("weights", help="a .pt checkpoint or an ocrlite .onnx file")
    parser.add_argument("--sets", nargs="+", required=True, metavar="SET", help="folders with labels.tsv")
    parser.add_argument("--grid", default="0.9,1.0,1.05,1.1,1.15,1.2,1.25,1.3",
                        help="comma-separated factors to try")
    parser.add_argument("--fold-case", action="store_true", help="score case-insensitively")
    parser.add_argument("--limit", type=int, default=None, help="first N lines of each set")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    try:
        grid = [float(x) for x in args.grid.split(",")]
        rec = load_recognizer(args.weights, threads=args.threads)
        sets = {}
        for path in args.sets:
            lines, _ = read_label_set(path)
            lines = lines[: args.limit]
            sets[Path(path).name] = ([line.load() for line in lines], [line.text for line in lines])
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.weights}: stored width_scale {rec.preprocess.width_scale}", file=sys.stderr)
    best, rows = tune(rec, sets, grid, args.fold_case)
    names = list(sets)
    print("| width_scale | " + " | ".join(f"{n} CER" for n in names) + " | mean CER |")
    print("|---|" + "---|" * (len(names) + 1))
    for row in rows:
        mark = " **best**" if row["width_scale"] == best else ""
        cells = " | ".join(f"{row[n]:.2%}" for n in names)
        print(f"| {row['width_scale']:g}{mark} | {cells} | {row['mean']:.2%} |")
    print(f"best width_scale: {best:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
