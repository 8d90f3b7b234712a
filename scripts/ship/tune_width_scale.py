"""Measure a trained model's CER at several horizontal stretches, with and without cutting lines to
their text band, and pick the best ``width_scale`` and ``trim_to_text``.

    python scripts/ship/tune_width_scale.py WEIGHTS --sets SET [SET ...] [--grid 0.9,1.0,1.1,...]
        [--trim both|on|off|stored] [--fold-case]

Each line is resized to the model height (aspect kept) and then stretched by the factor: more columns
give CTC more time steps per character, which helps models whose training lines were wider per
character than the lines they read. The chosen factor is the one with the lowest mean CER over
the sets (ties go to the factor nearest 1.0, then to no trimming). ``trim_to_text`` cuts each crop to
the rows its text occupies before resizing (``ocrlite.recognition.text_band``): loose crops are then read at the
letter size of tight ones. Tune on synthetic validation lines, not on the set you report: ``ocrlite synth --out /tmp/tune_seen --n 1000 --seed 31`` and
``ocrlite synth --out /tmp/tune_unseen --n 1000 --seed 32 --fonts ocrlite/data/fonts/holdout``. Store the
result in a shipped file with ``scripts/ship/ship_weights.py SRC DEST --width-scale X --trim-to-text``, or
try it with ``ocrlite predict/eval --width-scale X --trim-to-text``.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from pathlib import Path

from ocrlite.datasets.line_sets import read_label_set
from ocrlite.recognition.reader import BaseRecognizer
from ocrlite.evaluation.evaluate import evaluate_prepared
from ocrlite.api import load_recognizer


def tune(rec: BaseRecognizer, sets: dict[str, tuple[list, list[str]]], grid: list[float],
         fold_case: bool, trims: list[bool] | None = None) -> tuple[dict, list[dict]]:
    """CER per set for every factor × trim setting; returns the best row and all rows.

    Args:
        sets: name → (``(h, w)`` uint8 grayscale images, transcriptions).
        grid: width scales to try.
        trims: ``trim_to_text`` settings to try (default: the model's stored one).

    Rows: ``{"width_scale", "trim_to_text", <set name>: CER, "mean"}``.
    """
    base = rec.preprocess
    trims = [base.trim_to_text] if trims is None else trims
    rows = []
    fits = {}
    for name, (grays, truths) in sets.items():  # the same lines everywhere: drop those too wide at any setting
        keep = [i for i, g in enumerate(grays)
                if all(_fits(g, dataclasses.replace(base, width_scale=max(grid), trim_to_text=t)) for t in trims)]
        fits[name] = ([grays[i] for i in keep], [truths[i] for i in keep])
    sets = fits
    try:
        for trim in trims:
            for factor in grid:
                rec.preprocess = dataclasses.replace(base, width_scale=factor, trim_to_text=trim)
                row = {"width_scale": factor, "trim_to_text": trim}
                for name, (grays, truths) in sets.items():
                    images = [rec.prepare(g) for g in grays]
                    row[name] = evaluate_prepared(rec, images, truths, batch_size=32, fold_case=fold_case)[0].cer
                row["mean"] = statistics.fmean(row[name] for name in sets)
                rows.append(row)
    finally:
        rec.preprocess = base
    best = min(rows, key=lambda r: (round(r["mean"], 6), abs(r["width_scale"] - 1.0), r["trim_to_text"]))
    return best, rows


def _fits(gray, preprocess) -> bool:
    from ocrlite.recognition.preprocess import ImageTooWideError, prepare

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
    parser.add_argument("--trim", choices=["both", "on", "off", "stored"], default="both",
                        help="trim_to_text settings to try (default: both)")
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
    stored = rec.preprocess
    print(f"{args.weights}: stored width_scale {stored.width_scale}, trim_to_text {stored.trim_to_text}",
          file=sys.stderr)
    trims = {"both": [False, True], "on": [True], "off": [False], "stored": None}[args.trim]
    best, rows = tune(rec, sets, grid, args.fold_case, trims)
    names = list(sets)
    print("| width_scale | trim_to_text | " + " | ".join(f"{n} CER" for n in names) + " | mean CER |")
    print("|---|---|" + "---|" * (len(names) + 1))
    for row in rows:
        mark = " **best**" if row is best else ""
        cells = " | ".join(f"{row[n]:.2%}" for n in names)
        print(f"| {row['width_scale']:g}{mark} | {'on' if row['trim_to_text'] else 'off'} | {cells} | {row['mean']:.2%} |")
    print(f"best: width_scale {best['width_scale']:g}, trim_to_text {'on' if best['trim_to_text'] else 'off'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
