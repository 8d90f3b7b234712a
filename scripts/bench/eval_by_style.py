"""CER per type style (regular / bold / italic / bold italic) on synthetic sets with a ``fonts.tsv``.

The generator A/B of issue 14 — held-out families, document and prose lines, clean and degraded:

    ocrlite synth --out /tmp/doc_unseen_clean --n 1200 --seed 41 --fonts ocrlite/data/fonts/holdout --strength 0 \\
        --text-sources prose heading list_item citation caption table_row footnote equation
    ocrlite synth --out /tmp/doc_unseen_degraded --n 1200 --seed 41 --fonts ocrlite/data/fonts/holdout \\
        --text-sources prose heading list_item citation caption table_row footnote equation
    python scripts/bench/eval_by_style.py /tmp/doc_unseen_clean /tmp/doc_unseen_degraded \\
        --weights weights/xception.pt weights/runs/xception_gen2/best.pt --tesseract

(the two sets share seed, fonts and text: only the degradation differs). Every model reads at
batch 1 (no padding effects); CER is case-sensitive (documents keep case) and, in a second
table, case folded. ``--ascii`` adds a third table with typographic punctuation mapped to its ASCII
form on both sides (``ocrlite.recognition.asciify``; case-sensitive): the fair comparison of an ASCII-only model
with a charset-v2 one on English lines that print “curly quotes” and dashes. Tesseract (tesserocr,
PSM 7, English model) reads the same PNG files.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from ocrlite.recognition.asciify import asciify
from ocrlite.datasets.line_sets import read_label_set
from ocrlite.recognition.metrics import score

STYLES = ("regular", "bold", "italic", "bold italic")


def read_styles(set_dir: Path) -> dict[str, str]:
    """image path (as in labels.tsv) -> style, from the set's ``fonts.tsv``."""
    with open(set_dir / "fonts.tsv", encoding="utf-8", newline="") as f:
        return {row["image"]: row["style"] for row in csv.DictReader(f, delimiter="\t")}


def table_rows(name: str, preds: list[str], truths: list[str], styles: list[str], fold: bool,
               ascii_fold: bool = False) -> list[str]:
    """One markdown row: CER over the set, then per style; ``ascii_fold`` maps both sides through asciify."""
    if ascii_fold:
        preds, truths = [asciify(p) for p in preds], [asciify(t) for t in truths]
    cells = [f"{score(preds, truths, fold_case=fold).cer:.2%}"]
    for style in STYLES:
        idx = [i for i, s in enumerate(styles) if s == style]
        cells.append(f"{score([preds[i] for i in idx], [truths[i] for i in idx], fold_case=fold).cer:.2%}" if idx else "–")
    return [f"| {name} | " + " | ".join(cells) + " |"]


def tesseract_reader():
    import os

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import tesserocr  # type: ignore[import-not-found]
    from PIL import Image

    from ocrlite.evaluation.peers import find_tessdata

    api = tesserocr.PyTessBaseAPI(path=find_tessdata(), lang="eng", psm=tesserocr.PSM.SINGLE_LINE)

    def read(paths: list[Path]) -> list[str]:
        out = []
        for p in paths:
            api.SetImage(Image.open(p).convert("L"))
            out.append(api.GetUTF8Text().strip())
        return out
    return read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", type=Path, help="synthetic sets written by `ocrlite synth` (with fonts.tsv)")
    parser.add_argument("--weights", nargs="+", default=["weights/xception.pt"], help="model files to compare")
    parser.add_argument("--tesseract", action="store_true", help="add Tesseract (tesserocr) as a reference row")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ascii", action="store_true",
                        help="add a table with typographic punctuation folded to ASCII on both sides")
    args = parser.parse_args(argv)

    from ocrlite.api import load_recognizer

    readers = {}
    for w in args.weights:
        rec = load_recognizer(w, threads=args.threads)
        readers[Path(w).parent.name + "/" + Path(w).name if Path(w).parent.name != "weights" else Path(w).name] = (
            lambda paths, rec=rec: [p.text for p in rec.predict([str(x) for x in paths], batch_size=1)])
    if args.tesseract:
        try:
            readers["tesseract"] = tesseract_reader()
        except (ImportError, RuntimeError) as err:
            print(f"tesseract: not available ({err}); skipped", file=sys.stderr)
    tables = [(False, False, "case-sensitive"), (True, False, "case folded")]
    if args.ascii:
        tables.append((False, True, "case-sensitive, typographic punctuation folded to ASCII on both sides"))
    for fold, ascii_fold, title in tables:
        print(f"\n### CER, {title}\n")
        print("| set | model | all | " + " | ".join(STYLES) + " |")
        print("|---|---|---|" + "---|" * len(STYLES))
        for set_dir in args.sets:
            lines, _ = read_label_set(set_dir)
            style_of = read_styles(set_dir)
            paths = [line.path for line in lines]
            truths = [line.text for line in lines]
            styles = [style_of.get(str(Path(p).relative_to(set_dir)), "?") for p in paths]
            for name, read in readers.items():
                cache_key = (set_dir, name)
                if cache_key not in _cache:  # each model reads each set once for every table
                    _cache[cache_key] = read(paths)
                preds = _cache[cache_key]
                for row in table_rows(name, preds, truths, styles, fold, ascii_fold):
                    print(row.replace("| ", f"| {set_dir.name} | ", 1))
    return 0


_cache: dict[tuple[Path, str], list[str]] = {}

if __name__ == "__main__":
    raise SystemExit(main())
