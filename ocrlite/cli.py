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
