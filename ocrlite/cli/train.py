"""``ocrlite train``: train a recognizer (resumable)."""

from __future__ import annotations

import argparse
import json

from ocrlite.utils.limits import MAX_THREADS
from ocrlite.cli.common import load_charset, print_error, at_least, HelpFormatter, add_data_root


def _parse_kwargs(pairs: list[str]) -> dict[str, object]:
    """``["width_mult=0.5", "middle_blocks=3"]`` → ``{"width_mult": 0.5, "middle_blocks": 3}``."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--backbone-kw expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a recognizer (synthetic lines on the fly, optional real sets)",
        description="Train a CRNN. Writes RUN_DIR/best.pt (lowest validation CER), RUN_DIR/last.pt "
        "(resumable) and RUN_DIR/metrics.jsonl. Also runs data-parallel under "
        "`torchrun --nproc_per_node N -m ocrlite train ...`.",
        formatter_class=HelpFormatter,
    )
    # Validated against the registry when the command runs (parsing must not import torch).
    p.add_argument("--backbone", default=None,
                   help="squeezenet, mobilenet, mobilenet_v2, shufflenet or xception (default: mobilenet; on "
                   "--resume, the run's own)")
    p.add_argument("--backbone-kw", nargs="*", default=[], metavar="KEY=VALUE",
                   help="backbone knobs, e.g. width_mult=0.75")
    p.add_argument("--hidden-size", type=at_least(1), default=None,
                   help="BiLSTM hidden units per direction (default: 96; on --resume, the run's own)")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder: best.pt, last.pt (resumable), metrics.jsonl")
    p.add_argument("--steps", type=at_least(1), default=None,
                   help="optimiser steps (default 10000; on --resume, the run's own unless given)")
    p.add_argument("--batch-size", type=at_least(1), default=32, help="lines per optimiser step")
    p.add_argument("--height", type=at_least(8), default=32, help="rows of the model input (32; 48 also works)")
    p.add_argument("--width-scale", type=float, default=None, metavar="X",
                   help="stretch every line horizontally by X after the height resize, in training and in the "
                   "saved model (default: 1.0, or the --init model's)")
    p.add_argument("--charset", default=None, help="charset file (default: charset v2, 216 characters: ASCII, Latin-1, quotes, dashes, signs)")
    p.add_argument("--train-data", nargs="*", default=[], metavar="SET", help="real sets (folder with labels.tsv, label file or LMDB)")
    p.add_argument("--train-case", choices=("auto", "exact", "folded"), default="auto",
                   help="letter case of --train-data labels: folded = labelled in capitals whatever the image shows "
                   "(either case counts as right), exact = as written, auto = folded for a set with no lower-case "
                   "label letter")
    p.add_argument("--synth-ratio", type=float, default=None,
                   help="fraction of synthetic lines when --train-data is given (default 0.5)")
    p.add_argument("--val", nargs="*", default=[], metavar="SET", help="extra validation sets (scored case-folded)")
    add_data_root(p)
    p.add_argument("--val-every", type=at_least(1), default=500, help="validate, log and save best.pt every N steps")
    p.add_argument("--val-size", type=at_least(1), default=512, help="lines in each synthetic validation set")
    p.add_argument("--save-every", type=at_least(1), default=100, help="steps between last.pt saves")
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (AdamW; linear warm-up, then cosine to 2 %%)")
    p.add_argument("--warmup", type=at_least(0), default=300, help="linear warm-up steps (cut to a tenth of a shorter run)")
    p.add_argument("--init", default=None, metavar="CHECKPOINT", help="fine-tune from this checkpoint, or a shipped model by name (default, fast)")
    p.add_argument("--freeze", nargs="+", default=[], metavar="PART",
                   help="with --init: keep these parts as the init model made them (weights and batch-norm "
                   "statistics): backbone, neck (the BiLSTM); the output layer always trains. "
                   "--freeze backbone teaches the sequence layers without moving the features")
    p.add_argument("--resume", action="store_true", help="continue RUN_DIR/last.pt")
    p.add_argument("--stop-at", type=at_least(1), default=None, metavar="STEP",
                   help="stop at this step with a resumable last.pt (the LR schedule still targets --steps)")
    p.add_argument("--force", action="store_true", help="overwrite a non-empty RUN_DIR")
    p.add_argument("--seed", type=at_least(0), default=0, help="seed of the model's initialisation and the data stream")
    p.add_argument("--threads", type=at_least(0, MAX_THREADS), default=0, help="torch threads (0 = torch's default)")
    p.add_argument("--workers", type=at_least(0, MAX_THREADS), default=1, help="data-generating processes")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast for the forward pass")
    p.add_argument("--max-width", type=at_least(16), default=1024, help="drop training lines wider than this (px)")
    p.add_argument("--fonts", default=None, help="training font folder (default: the shipped font library)")
    p.add_argument("--strength", type=float, default=1.0, help="degradation strength")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 …")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ocrlite.recognition.charset import CharsetError
    from ocrlite.nn.checkpoint import CheckpointError
    from ocrlite.datasets.line_sets import LabelFileError
    from ocrlite.nn.backbones import list_backbones
    from ocrlite.training.trainer import (CheckpointWriteError, RunDirError, TrainConfig, TrainingDiverged, TrainingStopped,
                               train)

    if args.resume:  # a last.pt of another run (another model) must not silently take over this one
        mismatch = _resume_mismatch(args)
        if mismatch:
            print_error(mismatch)
            return 2
    args.backbone = args.backbone or "mobilenet"
    args.hidden_size = args.hidden_size or 96
    if args.backbone not in list_backbones():
        print_error(f"unknown backbone {args.backbone!r}; choose one of: {', '.join(list_backbones())}")
        return 2
    try:
        charset = load_charset(args.charset)
        cfg = TrainConfig(
            backbone=args.backbone, out=args.out, steps=args.steps, batch_size=args.batch_size, height=args.height,
            width_scale=args.width_scale,
            charset=charset.chars, backbone_kwargs=_parse_kwargs(args.backbone_kw), hidden_size=args.hidden_size,
            train_data=args.train_data, train_case=args.train_case,
            synth_ratio=args.synth_ratio if args.synth_ratio is not None else (0.5 if args.train_data else 1.0),
            val=args.val, val_every=args.val_every, val_size=args.val_size, save_every=args.save_every,
            lr=args.lr, warmup=args.warmup, seed=args.seed, threads=args.threads, workers=args.workers,
            bf16=args.bf16, init=args.init, max_width=args.max_width, fonts=args.fonts,
            strength=args.strength, device=args.device, freeze=list(dict.fromkeys(args.freeze)),
        )
        if not 0.0 <= cfg.synth_ratio <= 1.0:
            raise ValueError(f"--synth-ratio must be in [0, 1], got {cfg.synth_ratio}")
        train(cfg, resume=args.resume, force=args.force, stop_at=args.stop_at)
    except TrainingStopped as stopped:
        return 128 + stopped.signum  # last.pt saved; the shell's convention for "ended by a signal"
    except (TrainingDiverged, CheckpointWriteError) as err:
        print_error(str(err))
        return 1
    except (RunDirError, CharsetError, CheckpointError, LabelFileError, ValueError, FileNotFoundError) as err:
        print_error(str(err))
        return 2
    return 0


def _resume_mismatch(args: argparse.Namespace) -> str | None:
    """Why ``--resume`` must not go on: options given that contradict the run's ``last.pt`` (another backbone,
    hidden size or backbone knobs — another run's file copied in), or None."""
    from pathlib import Path

    from ocrlite.nn.checkpoint import CheckpointError, read_checkpoint

    last = Path(args.out) / "last.pt"
    if not last.is_file():
        return None  # the trainer says there is nothing to resume
    try:
        stored = read_checkpoint(last).get("train", {})
    except CheckpointError as err:
        return str(err)
    given = {"--backbone": (args.backbone, stored.get("backbone")),
             "--hidden-size": (args.hidden_size, stored.get("hidden_size")),
             "--backbone-kw": (_parse_kwargs(args.backbone_kw) or None, stored.get("backbone_kwargs") or None)}
    differ = [f"{option} {want!r} (the run's last.pt: {have!r})" for option, (want, have) in given.items()
              if want is not None and have is not None and want != have]
    if differ:
        return (f"{last}: this run's model differs from {'; '.join(differ)}; resume with the run's own settings "
                f"(leave those options out), or start another run with --out")
    return None
