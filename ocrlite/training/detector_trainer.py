"""Training the line detector (``ocrlite train-detector``): the same guarantees as ``ocrlite train`` — one
writer per run folder, never overwriting a run without ``--force``, an exact resume from ``last.pt``
(model, optimiser, step, RNG; batches are a function of (seed, step)), ``best.pt`` chosen on synthetic
validation pages in held-out fonts (never on a user's measuring set), a stop signal that saves first.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ocrlite.datasets.page_sets import read_page_set
from ocrlite.nn.detector import (DetectorConfig, build_detector, detector_checkpoint, list_detector_backbones,
                                 load_detector)
from ocrlite.detection.postprocess import DetectorSettings, detect_boxes
from ocrlite.pages.scoring import DetectionScore, score_detection
from ocrlite.synth.pages import PageRenderer
from ocrlite.synth.scenes import compose_scene
from ocrlite.training.db_targets import db_loss
from ocrlite.training.detector_data import DetectorSamples, line_height, scale_page
from ocrlite.training.log import log
from ocrlite.training.resumable import ResumableRun, check_run_options

DETECTOR_VAL_SEED = 2_000_003


@dataclass
class DetectorTrainConfig:
    """Every setting of a detector run; stored in its checkpoints and resumed from ``last.pt``."""

    out: str = "runs/detector"
    backbone: str = "mobilenet"
    width_mult: float = 0.75
    neck_channels: int = 64
    steps: int = 20_000
    batch_size: int = 8
    crop: int = 512
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup: int = 200
    seed: int = 0
    threads: int = 0
    workers: int = 1
    pages: list[str] = field(default_factory=list)
    real_ratio: float = 0.4
    val_every: int = 500
    save_every: int = 100
    val_pages: int = 24
    fonts: str | None = None
    init: str | None = None


def validate_detector_config(cfg: DetectorTrainConfig) -> None:
    """Reject settings that cannot train, naming the option.

    Raises:
        ValueError: the first bad option.
    """
    check_run_options(cfg, {"--val-pages": cfg.val_pages})
    if cfg.crop < 64 or cfg.crop % 32:
        raise ValueError(f"--crop must be a multiple of 32, at least 64, got {cfg.crop}")
    if cfg.backbone not in list_detector_backbones():
        raise ValueError(f"unknown detector backbone {cfg.backbone!r}; choose one of: "
                         f"{', '.join(list_detector_backbones())}")


def validation_pages(n: int, fonts: str | None = None) -> list[tuple[np.ndarray, list[np.ndarray]]]:
    """``n`` fixed scenes (held-out fonts by default, any background, turned or not) with their line boxes."""
    renderer = PageRenderer(fonts)
    out = []
    for i in range(n):
        rng = np.random.default_rng((DETECTOR_VAL_SEED, i))
        page = renderer.render(rng, skew=0.0, degrade=False)
        polys = [q for _, q in page.lines]
        median = float(np.median([line_height(p) for p in polys])) if polys else 20.0
        image, polys = scale_page(page.image, polys, rng.uniform(16, 32) / max(median, 1.0))
        scene = compose_scene(image, polys, rng)
        out.append((scene.image, scene.polygons))
    return out


def evaluate_detector(model: torch.nn.Module, pages: list[tuple[np.ndarray, list[np.ndarray]]],
                      settings: DetectorSettings) -> DetectionScore:
    """Detection precision / recall / H-mean of a torch detector on ``(image, polygons)`` pages."""
    total = DetectionScore()
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for image, polys in pages:
            boxes, _ = detect_boxes(lambda x: model(torch.from_numpy(x))[0, 0].numpy(), image, settings)
            total = total + score_detection(polys, boxes)
    model.train(was_training)
    return total


class DetectorTrainer(ResumableRun):
    """One detector run: folder, model, optimiser, data, validation pages (the loop: :class:`ResumableRun`)."""

    command = "ocrlite train-detector"
    what = "detector"
    higher_is_better = True
    clip_norm = 5.0

    def __init__(self, cfg: DetectorTrainConfig, resume: bool = False, force: bool = False) -> None:
        validate_detector_config(cfg)
        init_arch = self._init_architecture(cfg.init) if cfg.init and not resume else None  # before --force clears
        cfg, state = self.open_folder(cfg, resume, force)
        self.cfg = cfg
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        if init_arch is not None:
            cfg.backbone, cfg.width_mult, cfg.neck_channels = init_arch
        self.model = build_detector(DetectorConfig(cfg.backbone, cfg.width_mult, cfg.neck_channels))
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.decoding = DetectorSettings()
        self.start(state)
        if state is None and init_arch is not None:
            self.model.load_state_dict(self._init_state)
            log(f"fine-tuning from {cfg.init} (its weights; a new schedule and optimiser)")
        self.pages = [p for folder in cfg.pages for p in read_page_set(folder).pages]
        self.val = validation_pages(cfg.val_pages)
        self._start = time.perf_counter()

    def _init_architecture(self, path: str) -> tuple[str, float, int]:
        """Read ``--init``'s detector checkpoint (kept for ``__init__``) and return its architecture:
        a fine-tune keeps the network it starts from, whatever --backbone / --width-mult say."""
        try:
            _, _, ck = load_detector(path)
        except ValueError as err:
            raise ValueError(f"--init: {err}") from None
        self._init_state = ck["state_dict"]
        arch = ck["model"]
        return str(arch["backbone"]), float(arch["width_mult"]), int(arch["neck_channels"])

    def checkpoint(self, extra: dict[str, Any]) -> dict[str, Any]:
        return detector_checkpoint(self.model, asdict(self.decoding), extra)

    def batches(self) -> DetectorSamples:
        cfg = self.cfg
        return DetectorSamples(cfg.seed, cfg.batch_size, cfg.crop, self.pages, cfg.real_ratio, self.step, cfg.fonts)

    def loss(self, batch: Any) -> torch.Tensor:
        return db_loss(self.model(batch.images), batch.targets)[0]

    def score(self) -> tuple[float, dict[str, Any]]:
        score = evaluate_detector(self.model, self.val, self.decoding)
        return score.hmean, {"precision": round(score.precision, 4), "recall": round(score.recall, 4),
                             "hmean": round(score.hmean, 4)}


def train_detector(cfg: DetectorTrainConfig, resume: bool = False, force: bool = False,
                   stop_at: int | None = None) -> Path:
    """Train (or resume) a detector run; returns the path of ``best.pt``.

    Raises:
        TrainingStopped / TrainingDiverged / RunDirError / ValueError: as :func:`ocrlite.training.trainer.train`.
    """
    return DetectorTrainer(cfg, resume, force).run(stop_at)
