"""``ocrlite synth``: render a synthetic labelled line set."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ocrlite.utils.limits import MAX_THREADS
from ocrlite.cli.common import load_charset, print_error, at_least, HelpFormatter


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="write a synthetic text-line set (images/, labels.tsv, preview.png)",
        description="Render synthetic text lines. Line i of a seed is identical on every run and worker count.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--out", required=True, help="output folder (must be empty or new, unless --force)")
    p.add_argument("--n", type=at_least(1), required=True, help="number of lines")
    p.add_argument("--seed", type=at_least(0), default=0, help="line i of the set is a pure function of (seed, i)")
    p.add_argument("--height", type=at_least(0), default=32, help="resize lines to this height (0 = keep render size)")
    p.add_argument("--fonts", default=None, help="folder of .ttf/.otf fonts (default: the shipped font library, or $OCRLITE_FONTS_DIR)")
    p.add_argument("--charset", default=None, help="charset file (default: charset v2, 216 characters: ASCII, Latin-1, quotes, dashes, signs)")
    p.add_argument("--corpus", default=None, help="word / phrase list, one per line (default: the shipped words.txt)")
    p.add_argument("--prose", default=None, help="running text, one paragraph per line (default: the shipped prose.txt)")
    p.add_argument("--terms", default=None, help="receipt vocabulary, one term per line (default: the shipped "
                   "receipt_terms.txt)")
    p.add_argument("--languages", default=None, metavar="DIR",
                   help="folder of LANG.prose.txt / LANG.names.txt / LANG.words.txt texts (default: the shipped "
                   "six European languages)")
    p.add_argument("--text-sources", nargs="+", default=None, metavar="SOURCE",
                   help="draw text only from these sources (their weights as in the default mix); "
                        "e.g. prose heading list_item citation caption table_row footnote equation")
    p.add_argument("--workers", type=at_least(1, MAX_THREADS), default=1, help="generator processes")
    p.add_argument("--strength", type=float, default=1.0, help="scales every degradation probability (0 = clean)")
    p.add_argument("--no-augment", action="store_true", help="skip the camera/scanner effects")
    p.add_argument("--format", choices=["folder", "lmdb"], default="folder",
                   help="folder: images/ + labels.tsv; lmdb: data.mdb (deep-text-recognition-benchmark / PaddleOCR layout)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")
    p.set_defaults(func=run)



def run(args: argparse.Namespace) -> int:

    from ocrlite.recognition.charset import CharsetError
    from ocrlite.synth.augment import AugmentConfig
    from ocrlite.synth.fonts import FONT_DIR
    from ocrlite.synth.generator import GeneratorConfig
    from ocrlite.synth.render import RenderConfig
    from ocrlite.synth.writer import write_synth_set

    out = Path(args.out)
    if args.n < 1:
        print_error(f"--n must be ≥ 1, got {args.n}")
        return 2
    if not (math.isfinite(args.strength) and 0 <= args.strength <= 10):
        print_error(f"--strength must be a number in 0..10 (0 = clean, 1 = the default mix), got {args.strength}")
        return 2
    if out.exists() and not out.is_dir():
        print_error(f"{out}: exists and is not a folder")
        return 2
    if out.is_dir() and any(out.iterdir()) and not args.force:
        print_error(f"{out}: folder is not empty; choose a new folder or pass --force to write into it")
        return 2
    from ocrlite.synth.text import SOURCE_WEIGHTS

    text_weights = None
    if args.text_sources:
        unknown = sorted(set(args.text_sources) - set(SOURCE_WEIGHTS))
        if unknown:
            print_error(f"--text-sources: unknown source(s) {', '.join(unknown)}; valid: {', '.join(SOURCE_WEIGHTS)}")
            return 2
        text_weights = {name: (w if name in args.text_sources else 0.0) for name, (w, _) in SOURCE_WEIGHTS.items()}
    try:
        charset = load_charset(args.charset)
        config = GeneratorConfig(
            fonts=args.fonts or FONT_DIR,
            corpus=args.corpus,
            prose=args.prose,
            terms=args.terms,
            languages=args.languages,
            text_weights=text_weights,
            augment=not args.no_augment,
            render=RenderConfig(strength=args.strength),
            augment_config=AugmentConfig(strength=args.strength),
        )
        write_synth_set(out, args.n, args.seed, charset, config, args.height or None, max(1, args.workers),
                        fmt=args.format)
    except (CharsetError, FileNotFoundError, ValueError) as err:
        print_error(str(err))
        return 2
    except OSError as err:  # full disk, read-only folder, ...
        print_error(f"{out}: cannot write the set ({err.strerror or err})")
        return 1
    where = f"{out}/data.mdb (LMDB)" if args.format == "lmdb" else f"{out}/labels.tsv and {out}/images/"
    print(f"wrote {args.n} lines to {where}, preview in {out}/preview.png")
    return 0
