"""Training the line detector (``ocrlite train-detector``): the same guarantees as ``ocrlite train`` — one
writer per run folder, never overwriting a run without ``--force``, an exact resume from ``last.pt``
(model, optimiser, step, RNG; batches are a function of (seed, step)), ``best.pt`` chosen on synthetic
validation pages in held-out fonts (never on a user's measuring set), a stop signal that saves first.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from ocrlite.datasets.page_sets import read_page_set
from ocrlite.nn.checkpoint import atomic_save
from ocrlite.nn.detector import (DetectorConfig, build_detector, detector_checkpoint, list_detector_backbones,
                                 load_detector)
from ocrlite.detection.postprocess import DetectorSettings, detect_boxes
from ocrlite.pages.scoring import DetectionScore, score_detection
from ocrlite.synth.pages import PageRenderer
from ocrlite.synth.scenes import compose_scene
from ocrlite.training.config import RunDirError, TrainingDiverged, TrainingStopped
from ocrlite.training.db_targets import db_loss
from ocrlite.training.detector_data import DetectorSamples, line_height, scale_page
from ocrlite.training.log import log
from ocrlite.training.schedule import lr_at
from ocrlite.training.workers import ignore_stop_signals, stop_workers
from ocrlite.utils.locks import LOCK_NAME, FolderBusyError, lock_folder
from ocrlite.utils.progress import Progress

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
    for option, value in {"--steps": cfg.steps, "--batch-size": cfg.batch_size, "--val-every": cfg.val_every,
                          "--save-every": cfg.save_every, "--val-pages": cfg.val_pages}.items():
        if value < 1:
            raise ValueError(f"{option} must be >= 1, got {value}")
    if cfg.crop < 64 or cfg.crop % 32:
        raise ValueError(f"--crop must be a multiple of 32, at least 64, got {cfg.crop}")
    if not (math.isfinite(cfg.lr) and cfg.lr > 0):
        raise ValueError(f"--lr must be a positive number, got {cfg.lr}")
    if not 0 <= cfg.real_ratio <= 1:
        raise ValueError(f"--real-ratio must be in [0, 1], got {cfg.real_ratio}")
    if cfg.backbone not in list_detector_backbones():
        raise ValueError(f"unknown detector backbone {cfg.backbone!r}; choose one of: "
                         f"{', '.join(list_detector_backbones())}")
    for option, value in {"--workers": cfg.workers, "--threads": cfg.threads, "--warmup": cfg.warmup}.items():
        if value < 0:
            raise ValueError(f"{option} must be >= 0, got {value}")


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


class DetectorTrainer:
    """One detector run: folder, model, optimiser, data, validation pages."""

    def __init__(self, cfg: DetectorTrainConfig, resume: bool = False, force: bool = False) -> None:
        validate_detector_config(cfg)
        init_arch = self._init_architecture(cfg.init) if cfg.init and not resume else None  # before --force clears
        self.out = Path(cfg.out)
        try:
            self._lock = lock_folder(self.out, "ocrlite train-detector")
        except FolderBusyError as err:
            raise RunDirError(str(err)) from None
        last = self.out / "last.pt"
        state = None
        if resume:
            if not last.is_file():
                raise RunDirError(f"{last}: nothing to resume (no last.pt in the run folder)")
            state = torch.load(last, map_location="cpu", weights_only=True)
            if not isinstance(state, dict) or "resume" not in state or "train" not in state:
                raise RunDirError(f"{last}: not a resumable detector last.pt")
            stored = DetectorTrainConfig(**{k: v for k, v in state["train"].items()
                                            if k in DetectorTrainConfig.__dataclass_fields__})
            if cfg.steps != DetectorTrainConfig.steps and cfg.steps != stored.steps:
                log(f"resume: schedule changed from {stored.steps} to {cfg.steps} steps (the LR curve follows it)")
                stored.steps = cfg.steps
            stored.threads, stored.workers, stored.out = cfg.threads, cfg.workers, cfg.out
            cfg = stored
        elif self.out.exists() and any(p.name != LOCK_NAME for p in self.out.iterdir()):
            if not force:
                raise RunDirError(f"{self.out}: run folder exists and is not empty; pass --resume to continue it, "
                                  f"--force to overwrite it, or choose another --out")
            for name in ("best.pt", "last.pt", "metrics.jsonl"):
                (self.out / name).unlink(missing_ok=True)
        self.cfg = cfg
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        if init_arch is not None:
            cfg.backbone, cfg.width_mult, cfg.neck_channels = init_arch
        self.model = build_detector(DetectorConfig(cfg.backbone, cfg.width_mult, cfg.neck_channels))
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.settings = DetectorSettings()
        self.step, self.best, self.elapsed_before = 0, -1.0, 0.0
        if state is not None:
            self.model.load_state_dict(state["state_dict"])
            r = state["resume"]
            self.optimizer.load_state_dict(r["optimizer"])
            self.step, self.best, self.elapsed_before = int(r["step"]), float(r["best"]), float(r["elapsed"])
            torch.set_rng_state(r["torch_rng"])
            log(f"resuming {self.out} at step {self.step}")
        elif init_arch is not None:
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

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self._start

    def save(self, name: str, metrics: dict[str, Any], with_resume: bool) -> None:
        if not all(torch.isfinite(p).all() for p in self.model.parameters()):
            raise TrainingDiverged(f"weights became NaN or infinite by step {self.step}; {self.out / name} not written")
        extra: dict[str, Any] = {"train": asdict(self.cfg), "metrics": metrics}
        if with_resume:
            extra["resume"] = {"step": self.step, "best": self.best, "elapsed": self.elapsed(),
                               "optimizer": self.optimizer.state_dict(), "torch_rng": torch.get_rng_state()}
        atomic_save(detector_checkpoint(self.model, asdict(self.settings), extra), self.out / name)

    def validate(self, loss: float) -> dict[str, Any]:
        score = evaluate_detector(self.model, self.val, self.settings)
        metrics = {"step": self.step, "loss": round(loss, 4), "lr": lr_at(self.step, self.cfg),
                   "elapsed_s": round(self.elapsed(), 1), "precision": round(score.precision, 4),
                   "recall": round(score.recall, 4), "hmean": round(score.hmean, 4)}
        if score.hmean > self.best:
            self.best = score.hmean
            self.save("best.pt", metrics, with_resume=False)
        self.save("last.pt", metrics, with_resume=True)
        with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(metrics) + "\n")
        log(f"\nstep {self.step}: loss {loss:.3f}  synthetic pages P {score.precision:.1%} R {score.recall:.1%} "
            f"H {score.hmean:.1%}")
        return metrics

    def run(self, stop_at: int | None = None) -> Path:
        cfg = self.cfg
        if self.step >= cfg.steps:
            raise RunDirError(f"{self.out}: the run is already at step {self.step} of {cfg.steps}")
        end = min(cfg.steps, stop_at) if stop_at is not None else cfg.steps
        samples = DetectorSamples(cfg.seed, cfg.batch_size, cfg.crop, self.pages, cfg.real_ratio, self.step, cfg.fonts)
        kwargs: dict[str, Any] = {}
        if cfg.workers:
            import cv2

            cv2.setNumThreads(1)
            kwargs = {"num_workers": cfg.workers, "prefetch_factor": 4,
                      "worker_init_fn": ignore_stop_signals,
                      "multiprocessing_context": "fork" if os.name != "nt" else "spawn"}
        loader = DataLoader(samples, batch_size=None, **kwargs)
        stop: dict[str, int | None] = {"signal": None}
        handlers = {s: signal.signal(s, lambda signum, _f: stop.update(signal=signum))
                    for s in (signal.SIGTERM, signal.SIGINT)}
        bar = Progress(cfg.steps, desc=f"train-detector {cfg.backbone}", unit="steps", initial=self.step)
        loss_avg, metrics = None, {}
        self._start = time.perf_counter()
        self.model.train()
        batches = iter(loader)
        try:
            for batch in batches:
                if self.step >= end or stop["signal"] is not None:
                    break
                for group in self.optimizer.param_groups:
                    group["lr"] = lr_at(self.step, cfg)
                loss, _ = db_loss(self.model(batch.images), batch.targets)
                if not torch.isfinite(loss):
                    raise TrainingDiverged(f"loss became {float(loss)} at step {self.step + 1}; the last good "
                                           f"{self.out / 'last.pt'} is kept: resume it with a lower --lr")
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
                self.optimizer.step()
                self.step += 1
                value = loss.item()
                loss_avg = value if loss_avg is None else 0.98 * loss_avg + 0.02 * value
                bar.update(1, loss=f"{loss_avg:.3f}")
                if self.step % cfg.val_every == 0 or self.step == cfg.steps:
                    metrics = self.validate(loss_avg)
                elif self.step % cfg.save_every == 0:
                    self.save("last.pt", metrics, with_resume=True)
        finally:
            for s, h in handlers.items():
                signal.signal(s, h)
            stop_workers(batches)
            bar.close()
        if stop["signal"] is not None or self.step < cfg.steps:
            self.save("last.pt", metrics, with_resume=True)
            log(f"stopped at step {self.step}; continue with: ocrlite train-detector --out {self.out} --resume")
            if stop["signal"] is not None:
                raise TrainingStopped(int(stop["signal"]), self.step)
        else:
            log(f"done: {self.step} steps; best synthetic H-mean {self.best:.1%} → {self.out / 'best.pt'}")
        return self.out / "best.pt"


def train_detector(cfg: DetectorTrainConfig, resume: bool = False, force: bool = False,
                   stop_at: int | None = None) -> Path:
    """Train (or resume) a detector run; returns the path of ``best.pt``.

    Raises:
        TrainingStopped / TrainingDiverged / RunDirError / ValueError: as :func:`ocrlite.training.trainer.train`.
    """
    return DetectorTrainer(cfg, resume, force).run(stop_at)
