"""Per-character recall of two models side by side, from two ``ocrlite eval --by-char`` reports of one set:

    ocrlite eval SET --weights OLD --by-char old.tsv; ocrlite eval SET --weights NEW --by-char new.tsv
    python scripts/bench/compare_by_char.py old.tsv new.tsv --target 0.98 [--min-count 50] [--worst 10]

Prints a markdown table of every character with at least ``--min-count`` occurrences (recall before and
after, the top confusion after, whether it meets ``--target``), the issue-39 punctuation targets (quotes,
dashes, ellipsis, interpunct at ``--punct-target``), and the ``--worst`` characters of each model.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

#: Typographic punctuation with its own target (issue 39): quotes, dashes, ellipsis, interpunct.
PUNCTUATION = "“”‘’‚„‹›«»–—…·"


def read_report(path: Path) -> dict[str, dict[str, str]]:
    """``char -> row`` of an ``ocrlite eval --by-char`` TSV."""
    with open(path, encoding="utf-8", newline="") as f:
        return {row["char"]: row for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--target", type=float, default=0.98, help="letter recall target (default: 0.98)")
    parser.add_argument("--punct-target", type=float, default=0.95, help="punctuation recall target (default: 0.95)")
    parser.add_argument("--min-count", type=int, default=50, help="characters with at least this many occurrences")
    parser.add_argument("--worst", type=int, default=10, help="how many worst characters to list (default: 10)")
    args = parser.parse_args(argv)
    before, after = read_report(args.before), read_report(args.after)
    recall = lambda rows, c: float(rows[c]["recall"]) if c in rows else float("nan")  # noqa: E731
    shown = sorted((c for c, row in after.items() if int(row["count"]) >= args.min_count), key=lambda c: recall(after, c))
    letters = [c for c in shown if c.isalpha()]
    met_before = sum(recall(before, c) >= args.target for c in letters)
    met_after = sum(recall(after, c) >= args.target for c in letters)
    print(f"letters with ≥ {args.min_count} occurrences: {len(letters)}; at recall ≥ {args.target:.0%}: "
          f"{met_before} before, {met_after} after\n")
    punct = [c for c in PUNCTUATION if c in after and int(after[c]["count"]) > 0]
    print(f"quotes, dashes, ellipsis, interpunct at ≥ {args.punct_target:.0%}: "
          f"{sum(recall(before, c) >= args.punct_target for c in punct)} before, "
          f"{sum(recall(after, c) >= args.punct_target for c in punct)} after, of {len(punct)}\n")
    print("| char | count | recall before | recall after | top confusion after |\n|---|---|---|---|---|")
    for c in shown:
        confusion = (after[c].get("confusions") or "").split(", ")[0].replace("|", "\\|")
        cell = "`\\|`" if c == "|" else f"`{c}`"  # a bare | would end the table cell
        print(f"| {cell} | {after[c]['count']} | {recall(before, c):.1%} | {recall(after, c):.1%} | {confusion} |")
    for name, rows in (("before", before), ("after", after)):
        ranked = sorted((c for c, row in rows.items() if int(row["count"]) >= 20 and c != " "), key=lambda c: recall(rows, c))
        print(f"\nworst {args.worst} ({name}, ≥ 20 occurrences): " +
              ", ".join(f"`{c}` {recall(rows, c):.0%}" for c in ranked[: args.worst]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
