"""``ocrlite train-detector``: train the learned page line detector (resumable, on CPU or in the background)."""

from __future__ import annotations

import argparse

from ocrlite.cli.common import HelpFormatter, add_page_training_options, at_least, run_page_training


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-detector", formatter_class=HelpFormatter,
        help="train the learned line detector for pages (DB on a light backbone)",
        description="Train the learned page line detector on synthetic scenes (pages on drawn backgrounds, turned, "
        "warped, lit and damaged) and, with --pages, real annotated scans. Resumable: stop it any time "
        "(Ctrl-C saves last.pt) and continue with --resume. Then `ocrlite export --weights RUN/best.pt --out detector.onnx` "
        "(fp32, the run's default box decoding); from a source checkout, `python scripts/ship/ship_detector.py RUN/last.pt "
        "--pages TRAINING_PAGES --out detector.onnx` tunes the decoding on training pages and writes int8.")
    add_page_training_options(p, "training scenes", out="runs/detector", steps=20_000, batch_size=8,
                              batch_unit="crops", lr=2e-3, warmup=200, real_ratio=0.4, val_every=500, save_every=100)
    p.add_argument("--init", metavar="CHECKPOINT", default=None,
                   help="fine-tune from this detector checkpoint (a run's best.pt or last.pt): its network and "
                   "weights, with this run's schedule, data and a new optimiser")
    p.add_argument("--backbone", default="mobilenet",
                   help="mobilenet, mobilenet_v2, shufflenet, squeezenet or xception (blocks of the line recognizers)")
    p.add_argument("--width-mult", type=float, default=0.75, help="multiplies the backbone's channels")
    p.add_argument("--neck-channels", type=at_least(8), default=64, help="channels of the feature pyramid")
    p.add_argument("--crop", type=at_least(64), default=512, help="side of the square training crops (multiple of 32)")
    p.add_argument("--val-pages", type=at_least(1), default=24, help="synthetic validation pages (held-out fonts)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ocrlite.training.detector_trainer import DetectorTrainConfig, train_detector

    cfg = DetectorTrainConfig(
        out=args.out, backbone=args.backbone, width_mult=args.width_mult, neck_channels=args.neck_channels,
        steps=args.steps, batch_size=args.batch_size, crop=args.crop, lr=args.lr, warmup=args.warmup,
        seed=args.seed, threads=args.threads, workers=args.workers, pages=list(args.pages),
        real_ratio=args.real_ratio, val_every=args.val_every, save_every=args.save_every, val_pages=args.val_pages,
        init=args.init)
    return run_page_training(lambda: train_detector(cfg, resume=args.resume, force=args.force))
