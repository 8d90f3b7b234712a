"""Command-line interface: ``ocrlite {predict,synth,train,eval,bench} ...``.

Each subcommand imports its heavy modules lazily, so ``ocrlite --help`` stays fast.
``main(argv)`` returns the exit status: 0 success, 1 some inputs failed, 2 usage/setup error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from ocrlite import __version__

Handler = Callable[[argparse.Namespace], int]


def _err(msg: str) -> None:
    print(f"ocrlite: {msg}", file=sys.stderr)


def _set_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


# --------------------------------------------------------------------------- predict
def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="recognise text-line images",
        description="Recognise text-line images. PATH: an image, a folder of images, or a .txt/.tsv list "
        "whose first column is an image path. Prints path<TAB>text<TAB>confidence per image, in input order.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--weights", help="checkpoint file (default: the shipped default model in weights/)")
    p.add_argument("--format", choices=["tsv", "json"], default="tsv")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.set_defaults(func=_run_predict)


def _run_predict(args: argparse.Namespace) -> int:
    from ocrlite.checkpoint import CheckpointError
    from ocrlite.inputs import expand_inputs
    from ocrlite.predict import NoDefaultWeightsError, Recognizer

    if args.batch_size < 1:
        _err(f"--batch-size must be ≥ 1, got {args.batch_size}")
        return 2
    _set_threads(args.threads)
    try:
        rec = Recognizer.load(args.weights)
    except (NoDefaultWeightsError, CheckpointError) as err:
        _err(str(err))
        return 2
    items = expand_inputs(args.paths)
    failed = 0
    records = []
    bad = {i for i, it in enumerate(items) if it.error}
    paths = [it.path for i, it in enumerate(items) if i not in bad]
    results = iter(rec.predict_paths(paths, batch_size=args.batch_size))
    for i, item in enumerate(items):
        if item.error:
            _err(f"{item.path}: {item.error}")
            failed += 1
            continue
        r = next(results)
        if r.error:
            _err(f"{r.path}: {r.error}")
            failed += 1
            continue
        pred = r.prediction
        assert pred is not None
        if args.format == "tsv":
            print(f"{r.path}\t{pred.text}\t{pred.confidence:.4f}", flush=False)
        else:
            records.append(
                {"path": r.path, "text": pred.text, "confidence": round(pred.confidence, 4),
                 "char_confidences": [round(c, 4) for c in pred.char_confidences]}
            )
    if args.format == "json":
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        print()
    sys.stdout.flush()
    if failed:
        _err(f"{failed} of {len(items)} inputs failed")
    return 1 if failed else 0


# --------------------------------------------------------------------------- main
SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_predict]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ocrlite", description="Light CRNN text-line OCR.")
    parser.add_argument("--version", action="version", version=f"ocrlite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the subcommand, return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return 0


# --------------------------------------------------------------------------- synth
def _add_synth(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="write a synthetic text-line set (images/, labels.tsv, preview.png)",
        description="Render synthetic text lines. Line i of a seed is identical on every run and worker count.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--out", required=True, help="output folder (must be empty or new, unless --force)")
    p.add_argument("--n", type=int, required=True, help="number of lines")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--height", type=int, default=32, help="resize lines to this height (0 = keep render size)")
    p.add_argument("--fonts", default=None, help="folder of .ttf/.otf fonts (default: data/fonts)")
    p.add_argument("--charset", default=None, help="charset file (default: 95 printable ASCII)")
    p.add_argument("--corpus", default=None, help="word / phrase list, one per line (default: data/corpus/words.txt)")
    p.add_argument("--workers", type=int, default=1, help="generator processes")
    p.add_argument("--strength", type=float, default=1.0, help="scales every degradation probability (0 = clean)")
    p.add_argument("--no-augment", action="store_true", help="skip the camera/scanner effects")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")
    p.set_defaults(func=_run_synth)


def _load_charset(path: str | None):
    from ocrlite.charset import Charset

    return Charset.from_file(path) if path else Charset.default()


def _run_synth(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ocrlite.charset import CharsetError
    from ocrlite.synth.augment import AugmentConfig
    from ocrlite.synth.fonts import FONT_DIR
    from ocrlite.synth.generator import GeneratorConfig
    from ocrlite.synth.render import RenderConfig
    from ocrlite.synth.writer import write_synth_set

    out = Path(args.out)
    if args.n < 1:
        _err(f"--n must be ≥ 1, got {args.n}")
        return 2
    if out.exists() and not out.is_dir():
        _err(f"{out}: exists and is not a folder")
        return 2
    if out.is_dir() and any(out.iterdir()) and not args.force:
        _err(f"{out}: folder is not empty; choose a new folder or pass --force to write into it")
        return 2
    try:
        charset = _load_charset(args.charset)
        config = GeneratorConfig(
            fonts=args.fonts or FONT_DIR,
            corpus=args.corpus,
            augment=not args.no_augment,
            render=RenderConfig(strength=args.strength),
            augment_config=AugmentConfig(strength=args.strength),
        )
        write_synth_set(out, args.n, args.seed, charset, config, args.height or None, max(1, args.workers))
    except (CharsetError, FileNotFoundError) as err:
        _err(str(err))
        return 2
    print(f"wrote {args.n} lines to {out}/labels.tsv and {out}/images/, preview in {out}/preview.png")
    return 0


SUBCOMMANDS.append(_add_synth)
