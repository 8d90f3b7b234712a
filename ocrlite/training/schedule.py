"""The learning-rate schedule of both trainers: linear warm-up, then cosine decay."""

from __future__ import annotations

import math
from typing import Protocol


class Schedule(Protocol):
    """What the schedule reads of a run's settings (``TrainConfig`` and ``DetectorTrainConfig`` both have it)."""

    lr: float
    warmup: int
    steps: int


def lr_at(step: int, cfg: Schedule) -> float:
    """Linear warm-up to ``cfg.lr``, then cosine decay to 2 % of it at ``cfg.steps``."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))
