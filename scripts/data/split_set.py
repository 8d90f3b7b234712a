"""Split a labelled line set into a fine-tune part and a held-out part by group (never one group in both).

    python scripts/data/split_set.py ../shared/data/sroie_dev --group 'r(\\d+)_' --holdout 0.2 --out /tmp/sroie_split

Lines of one receipt (page, document) share a group: the first match of ``--group`` (a regular
expression; its first capture group if it has one) in the image path. Groups go to the held-out
part by a hash of their name, so the split is the same on every machine and run, about
``--holdout`` of the groups. Writes ``OUT/finetune.tsv`` and ``OUT/heldout.tsv`` (absolute image
paths, usable anywhere a SET is accepted) and prints the counts. Refuses a non-empty OUT.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

from ocrlite.datasets.line_sets import LabelFileError, read_label_set


def group_of(path: str, pattern: re.Pattern[str]) -> str:
    match = pattern.search(path)
    if match is None:
        return path  # a line of its own
    return match.group(1) if match.groups() else match.group(0)


def held_out(group: str, fraction: float) -> bool:
    digest = hashlib.sha256(group.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", help="the labelled set to split")
    parser.add_argument("--group", default=r"r(\d+)_", help="regex naming a line's group in its image path")
    parser.add_argument("--holdout", type=float, default=0.2, help="fraction of groups held out")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    if not 0 < args.holdout < 1:
        print(f"split_set: --holdout must be between 0 and 1, got {args.holdout}", file=sys.stderr)
        return 2
    if args.out.exists() and any(args.out.iterdir()):
        print(f"split_set: {args.out} is not empty", file=sys.stderr)
        return 2
    try:
        pattern = re.compile(args.group)
        lines, _ = read_label_set(args.set)
    except (re.error, LabelFileError) as err:
        print(f"split_set: {err}", file=sys.stderr)
        return 2
    parts: dict[str, list[str]] = {"finetune": [], "heldout": []}
    groups: dict[str, set[str]] = {"finetune": set(), "heldout": set()}
    for line in lines:
        group = group_of(str(line.path), pattern)
        part = "heldout" if held_out(group, args.holdout) else "finetune"
        parts[part].append(f"{Path(line.path).resolve()}\t{line.text}")
        groups[part].add(group)
    args.out.mkdir(parents=True, exist_ok=True)
    for part, rows in parts.items():
        (args.out / f"{part}.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        print(f"{part}: {len(rows)} lines from {len(groups[part])} groups -> {args.out / (part + '.tsv')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
