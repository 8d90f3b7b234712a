"""Training the line-turn classifier (``ocrlite train-line-turn``), with the guarantees of
:class:`~ocrlite.training.resumable.ResumableRun` (exact resume, never overwriting a run, a stop signal that
saves first); ``best.pt`` is chosen on synthetic lines in held-out fonts, never on a user's measuring set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ocrlite.datasets.page_sets import read_page_set
from ocrlite.nn.line_turn import LineTurnConfig, LineTurnNet, line_turn_checkpoint
from ocrlite.recognition.charset import CHARSET_V2, Charset
from ocrlite.recognition.line_turn import line_windows
from ocrlite.synth.fonts import HOLDOUT_FONT_DIR
from ocrlite.synth.generator import GeneratorConfig, LineGenerator
from ocrlite.training.line_turn_data import LineTurnSamples
from ocrlite.training.resumable import ResumableRun, check_run_options

LINE_TURN_VAL_SEED = 3_000_017


@dataclass
class LineTurnTrainConfig:
    """Every setting of a line-turn run; stored in its checkpoints and resumed from ``last.pt``."""

    out: str = "runs/line_turn"
    channels: tuple[int, int, int, int] = (24, 48, 96, 128)
    steps: int = 3000
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup: int = 100
    seed: int = 0
    threads: int = 0
    workers: int = 1
    pages: list[str] = field(default_factory=list)
    real_ratio: float = 0.3
    val_every: int = 250
    save_every: int = 50
    val_lines: int = 512
    fonts: str | None = None


def validate_line_turn_config(cfg: LineTurnTrainConfig) -> None:
    """Reject settings that cannot train, naming the option.

    Raises:
        ValueError: the first bad option.
    """
    check_run_options(cfg, {"--val-lines": cfg.val_lines})


def validation_lines(n: int, fonts: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` fixed lines in held-out fonts (damaged as in training), each upright and turned round:
    ``(2n, 1, 32, 256)`` windows (the middle of a long line) and ``(2n,)`` labels."""
    generator = LineGenerator(Charset(CHARSET_V2), GeneratorConfig(fonts=fonts or HOLDOUT_FONT_DIR))
    windows, labels = [], []
    for i in range(n):
        crop = generator.generate(LINE_TURN_VAL_SEED, i)[0]
        for turned in (False, True):
            windows.append(line_windows(crop[::-1, ::-1] if turned else crop, offsets=[0.5])[0])
            labels.append(float(turned))
    return torch.from_numpy(np.stack(windows)[:, None]), torch.tensor(labels)


@dataclass
class LineTurnScore:
    """How a classifier does on lines upright and turned: loss, and at probability 0.5 the share of upright
    lines it would turn and of turned lines it would catch."""

    loss: float
    upright_turned: float
    turned_caught: float

    @property
    def error(self) -> float:
        return 0.5 * (self.upright_turned + 1.0 - self.turned_caught)


def evaluate_line_turn(model: LineTurnNet, windows: torch.Tensor, labels: torch.Tensor) -> LineTurnScore:
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        logits = torch.cat([model(windows[i:i + 256]) for i in range(0, len(windows), 256)])
    model.train(was_training)
    loss = float(F.binary_cross_entropy_with_logits(logits, labels))
    says_turned = logits > 0
    up, down = labels == 0, labels == 1
    return LineTurnScore(loss, float(says_turned[up].float().mean()), float(says_turned[down].float().mean()))


class LineTurnTrainer(ResumableRun):
    """One line-turn run: folder, model, optimiser, data, validation lines (the loop: :class:`ResumableRun`)."""

    command = "ocrlite train-line-turn"
    what = "line-turn"
    higher_is_better = False  # best.pt: the lowest validation loss

    def __init__(self, cfg: LineTurnTrainConfig, resume: bool = False, force: bool = False) -> None:
        validate_line_turn_config(cfg)
        cfg, state = self.open_folder(cfg, resume, force)
        cfg.channels = tuple(cfg.channels)
        self.cfg = cfg
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.model = LineTurnNet(LineTurnConfig(cfg.channels))
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.start(state)
        self.pages = [p for folder in cfg.pages for p in read_page_set(folder).pages]
        self.val = validation_lines(cfg.val_lines)

    def train_settings(self) -> dict[str, Any]:
        return {**asdict(self.cfg), "channels": list(self.cfg.channels)}

    def checkpoint(self, extra: dict[str, Any]) -> dict[str, Any]:
        return line_turn_checkpoint(self.model, extra)

    def batches(self) -> LineTurnSamples:
        cfg = self.cfg
        return LineTurnSamples(cfg.seed, cfg.batch_size, self.pages, cfg.real_ratio, self.step, cfg.fonts)

    def loss(self, batch: Any) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(self.model(batch.windows), batch.turned)

    def score(self) -> tuple[float, dict[str, Any]]:
        score = evaluate_line_turn(self.model, *self.val)
        return score.loss, {"val_loss": round(score.loss, 4), "upright_turned": round(score.upright_turned, 4),
                            "turned_caught": round(score.turned_caught, 4)}


def train_line_turn(cfg: LineTurnTrainConfig, resume: bool = False, force: bool = False,
                    stop_at: int | None = None) -> Path:
    """Train (or resume) a line-turn run; returns the path of ``best.pt``.

    Raises:
        TrainingStopped / TrainingDiverged / RunDirError / ValueError: as :func:`ocrlite.training.trainer.train`.
    """
    return LineTurnTrainer(cfg, resume, force).run(stop_at)
