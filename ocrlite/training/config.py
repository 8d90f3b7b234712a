"""The settings of a training run (:class:`TrainConfig`), their validation, and the ways a run ends early."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from ocrlite.nn.crnn import ModelConfig, build_model
from ocrlite.recognition.charset import CHARSET_V2


#: Seed of the fixed synthetic validation sets (never used for training data).
VAL_SEED = 1_000_003
DEFAULT_STEPS = 10_000


@dataclass
class TrainConfig:
    """Every training setting; stored in checkpoints (``train``) and resumed from ``last.pt``."""

    backbone: str = "mobilenet"
    out: str = "runs/mobilenet"
    steps: int | None = None  # None: DEFAULT_STEPS for a new run, the run's own steps on --resume
    batch_size: int = 32
    height: int = 32
    width_scale: float | None = None  # None: 1.0 for a new run, the --init model's for a fine-tune
    trim_to_text: bool | None = None  # None: off for a new run (lines keep their scale variety), the --init model's
    charset: str = CHARSET_V2
    backbone_kwargs: dict[str, Any] = field(default_factory=dict)
    hidden_size: int = 96
    train_data: list[str] = field(default_factory=list)
    synth_ratio: float = 1.0
    val: list[str] = field(default_factory=list)
    val_every: int = 500
    val_size: int = 512
    save_every: int = 100
    lr: float = 2e-3
    weight_decay: float = 1e-2
    warmup: int = 300
    clip: float = 5.0
    seed: int = 0
    threads: int = 0
    workers: int = 1
    bf16: bool = False
    init: str | None = None
    max_width: int = 1024
    # Batches per width-sorted chunk: 32 leaves ~4 % of batch columns as padding (8: ~14 %).
    batches_per_chunk: int = 32
    fonts: str | None = None  # None: the shipped library (ocrlite/data/fonts); checkpoints never store this machine's path
    strength: float = 1.0
    device: str = "cpu"
    fold_case_val: bool = True
    train_case: str = "auto"  # auto | exact | folded: how --train-data labels' letter case is read
    # Parts of the network kept as --init made them (weights and batch-norm statistics): see FREEZABLE.
    freeze: list[str] = field(default_factory=list)


TRAIN_CASE_CHOICES = ("auto", "exact", "folded")
#: Parts of the CRNN a fine-tune can keep fixed: the convolutional backbone and the BiLSTM ("neck"); the output
#: layer always trains. Freezing the backbone teaches the sequence layers a new prior (rare letters) without moving
#: the features other domains are read by (real receipts; weights/README.md, issue 39).
FREEZABLE = ("backbone", "neck")


def validate_config(cfg: TrainConfig) -> None:
    """Reject settings that cannot train, naming the option (before any folder, model or worker exists).

    Raises:
        ValueError: the first bad option.
    """
    positive = {"--steps": cfg.steps, "--batch-size": cfg.batch_size, "--val-every": cfg.val_every,
                "--save-every": cfg.save_every, "--val-size": cfg.val_size, "--height": cfg.height,
                "batches_per_chunk": cfg.batches_per_chunk}
    for option, value in positive.items():
        if value is not None and value < 1:
            raise ValueError(f"{option} must be >= 1, got {value}")
    for option, value in {"--seed": cfg.seed, "--workers": cfg.workers, "--threads": cfg.threads,
                          "--warmup": cfg.warmup}.items():
        if value < 0:
            raise ValueError(f"{option} must be >= 0, got {value}")
    if cfg.train_case not in TRAIN_CASE_CHOICES:
        raise ValueError(f"--train-case must be one of {', '.join(TRAIN_CASE_CHOICES)}, got {cfg.train_case!r}")
    bad = [part for part in cfg.freeze if part not in FREEZABLE]
    if bad:
        raise ValueError(f"--freeze {bad[0]!r}: choose from {', '.join(FREEZABLE)} (the output layer always trains)")
    if cfg.freeze and not cfg.init:
        raise ValueError("--freeze keeps parts of the network as --init made them: give --init CHECKPOINT")
    if not (math.isfinite(cfg.lr) and cfg.lr > 0):
        raise ValueError(f"--lr must be a positive number, got {cfg.lr}")
    if not (math.isfinite(cfg.strength) and cfg.strength >= 0):
        raise ValueError(f"--strength must be >= 0, got {cfg.strength}")
    if cfg.max_width < 4 * cfg.height:
        raise ValueError(f"--max-width must be at least 4 x --height ({4 * cfg.height} px), got {cfg.max_width}")
    if cfg.width_scale is not None and not (math.isfinite(cfg.width_scale) and 0.25 <= cfg.width_scale <= 4):
        raise ValueError(f"--width-scale must be in [0.25, 4], got {cfg.width_scale}")
    try:
        with torch.device("meta"):
            build_model(ModelConfig(cfg.backbone, len(cfg.charset) + 1, dict(cfg.backbone_kwargs),
                                    hidden_size=cfg.hidden_size))
    except (TypeError, ValueError) as err:
        raise ValueError(f"--backbone-kw / --hidden-size: cannot build {cfg.backbone} ({err})") from None
    try:
        device = torch.device(cfg.device)
    except (RuntimeError, TypeError):
        raise ValueError(f"--device {cfg.device!r} is not a device; use cpu, cuda or cuda:N") from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"--device {cfg.device!r}: ocrlite trains on cpu or cuda")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {cfg.device}: no CUDA device is available here")


class TrainingStopped(Exception):
    """A stop signal (Ctrl-C, SIGTERM) ended the run early; last.pt was saved. ``signum`` is the signal."""

    def __init__(self, signum: int, step: int) -> None:
        super().__init__(f"stopped by signal {signum} at step {step}")
        self.signum, self.step = signum, step


class TrainingDiverged(RuntimeError):
    """The loss (or a weight) became NaN or infinite; the last good last.pt is kept."""


class CheckpointWriteError(RuntimeError):
    """The run ended but its last checkpoint could not be written (full disk, read-only folder)."""


class RunDirError(ValueError):
    """The run folder exists and neither --resume nor --force was given (or --resume has nothing to resume)."""
