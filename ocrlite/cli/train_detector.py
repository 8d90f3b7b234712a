"""``ocrlite train-detector``: train the learned page line detector (resumable, on CPU or in the background)."""

from __future__ import annotations

import argparse

from ocrlite.cli.common import HelpFormatter, at_least, print_error


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-detector", formatter_class=HelpFormatter,
        help="train the learned line detector for pages (DB on a light backbone)",
        description="Train the learned page line detector on synthetic scenes (pages on drawn backgrounds, turned, "
        "warped, lit and damaged) and, with --pages, real annotated scans. Resumable: stop it any time "
        "(Ctrl-C saves last.pt) and continue with --resume. Then `ocrlite export --weights RUN/best.pt --out detector.onnx` "
        "(fp32, the run's default box decoding); from a source checkout, `python scripts/ship/ship_detector.py RUN/last.pt "
        "--pages TRAINING_PAGES --out detector.onnx` tunes the decoding on training pages and writes int8.")
    p.add_argument("--out", default="runs/detector", help="run folder (best.pt, last.pt, metrics.jsonl)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last.pt")
    p.add_argument("--init", metavar="CHECKPOINT", default=None,
                   help="fine-tune from this detector checkpoint (a run's best.pt or last.pt): its network and "
                   "weights, with this run's schedule, data and a new optimiser")
    p.add_argument("--force", action="store_true", help="overwrite a non-empty --out")
    p.add_argument("--backbone", default="mobilenet",
                   help="mobilenet, mobilenet_v2, shufflenet, squeezenet or xception (blocks of the line recognizers)")
    p.add_argument("--width-mult", type=float, default=0.75, help="multiplies the backbone's channels")
    p.add_argument("--neck-channels", type=at_least(8), default=64, help="channels of the feature pyramid")
    p.add_argument("--steps", type=at_least(1), default=20_000, help="optimiser steps in the schedule")
    p.add_argument("--batch-size", type=at_least(1), default=8, help="crops per step")
    p.add_argument("--crop", type=at_least(64), default=512, help="side of the square training crops (multiple of 32)")
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (AdamW; warm-up then cosine)")
    p.add_argument("--warmup", type=at_least(0), default=200, help="linear warm-up steps")
    p.add_argument("--pages", nargs="*", default=[], metavar="DIR",
                   help="annotated page sets to train on besides synthetic pages (images/ + boxes/ with "
                   "x1,y1,...,y4,TEXT rows; see docs/pages.md)")
    p.add_argument("--real-ratio", type=float, default=0.4, help="share of samples drawn from --pages")
    p.add_argument("--val-every", type=at_least(1), default=500, help="validate and save best.pt every N steps")
    p.add_argument("--save-every", type=at_least(1), default=100, help="save the resumable last.pt every N steps")
    p.add_argument("--val-pages", type=at_least(1), default=24, help="synthetic validation pages (held-out fonts)")
    p.add_argument("--seed", type=at_least(0), default=0, help="seed of the sample stream")
    p.add_argument("--threads", type=at_least(0), default=0, help="torch threads (0: torch's default)")
    p.add_argument("--workers", type=at_least(0), default=1, help="processes drawing training scenes")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ocrlite.training.config import RunDirError, TrainingDiverged, TrainingStopped
    from ocrlite.training.detector_trainer import DetectorTrainConfig, train_detector

    cfg = DetectorTrainConfig(
        out=args.out, backbone=args.backbone, width_mult=args.width_mult, neck_channels=args.neck_channels,
        steps=args.steps, batch_size=args.batch_size, crop=args.crop, lr=args.lr, warmup=args.warmup,
        seed=args.seed, threads=args.threads, workers=args.workers, pages=list(args.pages),
        real_ratio=args.real_ratio, val_every=args.val_every, save_every=args.save_every, val_pages=args.val_pages,
        init=args.init)
    try:
        train_detector(cfg, resume=args.resume, force=args.force)
    except (RunDirError, ValueError) as err:
        print_error(str(err))
        return 2
    except TrainingStopped as err:
        print_error(f"{err}; last.pt saved")
        return 130
    except TrainingDiverged as err:
        print_error(str(err))
        return 1
    return 0
