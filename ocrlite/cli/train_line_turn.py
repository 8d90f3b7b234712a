"""``ocrlite train-line-turn``: train the 0°/180° line classifier the page reader uses to turn single lines
printed upside down (resumable, on CPU or in the background)."""

from __future__ import annotations

import argparse

from ocrlite.cli.common import HelpFormatter, add_page_training_options, at_least, run_page_training


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-line-turn", formatter_class=HelpFormatter,
        help="train the line-turn classifier (is a line upside down?) for pages",
        description="Train the small classifier that tells an upside-down line from an upright one (as PP-OCR's "
        "text-direction cls) on synthetic lines and, with --pages, real annotated scans. Resumable: stop it any "
        "time (Ctrl-C saves last.pt) and continue with --resume. Then `ocrlite export --weights RUN/best.pt --out "
        "line_turn.onnx`; the page reader uses the package's models/line_turn.onnx.")
    add_page_training_options(p, "training lines", out="runs/line_turn", steps=3000, batch_size=64,
                              batch_unit="lines", lr=3e-3, warmup=100, real_ratio=0.3, val_every=250, save_every=50)
    p.add_argument("--val-lines", type=at_least(1), default=512,
                   help="synthetic validation lines in held-out fonts (each read upright and turned)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ocrlite.training.line_turn_trainer import LineTurnTrainConfig, train_line_turn

    cfg = LineTurnTrainConfig(
        out=args.out, steps=args.steps, batch_size=args.batch_size, lr=args.lr, warmup=args.warmup, seed=args.seed,
        threads=args.threads, workers=args.workers, pages=list(args.pages), real_ratio=args.real_ratio,
        val_every=args.val_every, save_every=args.save_every, val_lines=args.val_lines)
    return run_page_training(lambda: train_line_turn(cfg, resume=args.resume, force=args.force))
