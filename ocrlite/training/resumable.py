"""What the page-model trainers share (``train-detector``, ``train-line-turn``): the same guarantees as
``ocrlite train`` — one writer per run folder, never overwriting a run without ``--force``, an exact resume
from ``last.pt`` (model, optimiser, step, RNG; batches are a function of (seed, step)), ``best.pt`` chosen on
the run's own synthetic validation set, a stop signal that saves first, NaN refused before it is written.

A trainer subclasses :class:`ResumableRun` and provides the network's checkpoint, its batches, its loss and
its validation score; the folder, the loop, the schedule and the saves are here.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from ocrlite.nn.checkpoint import atomic_save
from ocrlite.training.config import RunDirError, TrainingDiverged, TrainingStopped
from ocrlite.training.log import log
from ocrlite.training.schedule import lr_at
from ocrlite.training.workers import ignore_stop_signals, stop_workers
from ocrlite.utils.locks import LOCK_NAME, FolderBusyError, lock_folder
from ocrlite.utils.progress import Progress


def check_run_options(cfg: Any, counts: dict[str, int]) -> None:
    """Reject the options every page-model run has when they cannot train (``counts``: more options that must
    be ≥ 1, by name), naming the first bad one.

    Raises:
        ValueError: the first bad option.
    """
    for option, value in {"--steps": cfg.steps, "--batch-size": cfg.batch_size, "--val-every": cfg.val_every,
                          "--save-every": cfg.save_every, **counts}.items():
        if value < 1:
            raise ValueError(f"{option} must be >= 1, got {value}")
    if not (math.isfinite(cfg.lr) and cfg.lr > 0):
        raise ValueError(f"--lr must be a positive number, got {cfg.lr}")
    if not 0 <= cfg.real_ratio <= 1:
        raise ValueError(f"--real-ratio must be in [0, 1], got {cfg.real_ratio}")
    for option, value in {"--workers": cfg.workers, "--threads": cfg.threads, "--warmup": cfg.warmup}.items():
        if value < 0:
            raise ValueError(f"{option} must be >= 0, got {value}")


class BatchStream(IterableDataset):
    """Endless batches ``batch(number)`` from ``start_batch`` on; worker ``k`` of ``n`` makes batches ``k, k + n,
    …`` (DataLoader hands them out in order, so the stream is the same with any number of workers)."""

    start_batch: int = 0

    def batch(self, number: int) -> Any:
        raise NotImplementedError

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        number = self.start_batch + worker
        while True:
            yield self.batch(number)
            number += workers


class ResumableRun:
    """One run of a page model: its folder, resume, loop and saves.

    Subclasses set :attr:`command` (``"ocrlite train-detector"``), :attr:`what` (``"detector"``) and
    :attr:`higher_is_better`, call :meth:`open_folder` then :meth:`start` in ``__init__``, and implement
    :meth:`checkpoint`, :meth:`batches`, :meth:`loss` and :meth:`score`.
    """

    command = "ocrlite train-?"
    what = "model"
    higher_is_better = True
    #: Gradient-norm clip (None: none).
    clip_norm: float | None = None

    cfg: Any
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer

    # --- what a subclass provides -------------------------------------------------------------------------
    def checkpoint(self, extra: dict[str, Any]) -> dict[str, Any]:
        """The model's checkpoint dict with ``extra`` (training settings, metrics, resume state) merged in."""
        raise NotImplementedError

    def batches(self) -> BatchStream:
        """The training batches from the current step on."""
        raise NotImplementedError

    def loss(self, batch: Any) -> torch.Tensor:
        """The scalar loss of one batch (the model in training mode)."""
        raise NotImplementedError

    def score(self) -> tuple[float, dict[str, Any]]:
        """Validation: the value ``best.pt`` is chosen by, and the metrics to log."""
        raise NotImplementedError

    # --- the folder ---------------------------------------------------------------------------------------
    def open_folder(self, cfg: Any, resume: bool, force: bool) -> tuple[Any, dict[str, Any] | None]:
        """Lock ``cfg.out``; on ``resume``, read ``last.pt`` and return its stored settings (this call's
        threads, workers, folder and — when given — steps) with its state; else refuse a non-empty folder
        unless ``force`` (then clear its run files)."""
        self.out = Path(cfg.out)
        try:
            self._lock = lock_folder(self.out, self.command)
        except FolderBusyError as err:
            raise RunDirError(str(err)) from None
        last = self.out / "last.pt"
        if resume:
            if not last.is_file():
                raise RunDirError(f"{last}: nothing to resume (no last.pt in the run folder)")
            state = torch.load(last, map_location="cpu", weights_only=True)
            if not isinstance(state, dict) or "resume" not in state or "train" not in state:
                raise RunDirError(f"{last}: not a resumable {self.what} last.pt")
            fields = type(cfg).__dataclass_fields__
            stored = type(cfg)(**{k: v for k, v in state["train"].items() if k in fields})
            default_steps = fields["steps"].default
            if cfg.steps != default_steps and cfg.steps != stored.steps:
                log(f"resume: schedule changed from {stored.steps} to {cfg.steps} steps (the LR curve follows it)")
                stored.steps = cfg.steps
            stored.threads, stored.workers, stored.out = cfg.threads, cfg.workers, cfg.out
            return stored, state
        if self.out.exists() and any(p.name != LOCK_NAME for p in self.out.iterdir()):
            if not force:
                raise RunDirError(f"{self.out}: run folder exists and is not empty; pass --resume to continue it, "
                                  f"--force to overwrite it, or choose another --out")
            for name in ("best.pt", "last.pt", "metrics.jsonl"):
                (self.out / name).unlink(missing_ok=True)
        return cfg, None

    def start(self, state: dict[str, Any] | None) -> None:
        """Counters at zero, or the model, optimiser, counters and RNG of a resumed ``last.pt``."""
        self.step, self.elapsed_before = 0, 0.0
        self.best = -math.inf if self.higher_is_better else math.inf
        if state is not None:
            self.model.load_state_dict(state["state_dict"])
            r = state["resume"]
            self.optimizer.load_state_dict(r["optimizer"])
            self.step, self.best, self.elapsed_before = int(r["step"]), float(r["best"]), float(r["elapsed"])
            torch.set_rng_state(r["torch_rng"])
            log(f"resuming {self.out} at step {self.step}")
        self._start = time.perf_counter()

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self._start

    def train_settings(self) -> dict[str, Any]:
        """The run's settings as stored in its checkpoints (plain types)."""
        return asdict(self.cfg)

    def save(self, name: str, metrics: dict[str, Any], with_resume: bool) -> None:
        if not all(torch.isfinite(p).all() for p in self.model.parameters()):
            raise TrainingDiverged(f"weights became NaN or infinite by step {self.step}; {self.out / name} not written")
        extra: dict[str, Any] = {"train": self.train_settings(), "metrics": metrics}
        if with_resume:
            extra["resume"] = {"step": self.step, "best": self.best, "elapsed": self.elapsed(),
                               "optimizer": self.optimizer.state_dict(), "torch_rng": torch.get_rng_state()}
        atomic_save(self.checkpoint(extra), self.out / name)

    def validate(self, loss: float) -> dict[str, Any]:
        """Score the model, save ``best.pt`` when it is the best so far and ``last.pt`` always, log a row."""
        value, scores = self.score()
        metrics = {"step": self.step, "loss": round(loss, 4), "lr": lr_at(self.step, self.cfg),
                   "elapsed_s": round(self.elapsed(), 1), **scores}
        if (value > self.best) if self.higher_is_better else (value < self.best):
            self.best = value
            self.save("best.pt", metrics, with_resume=False)
        self.save("last.pt", metrics, with_resume=True)
        with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(metrics) + "\n")
        shown = "  ".join(f"{k} {v}" for k, v in scores.items())
        log(f"\nstep {self.step}: loss {loss:.3f}  {shown}")
        return metrics

    # --- the loop -----------------------------------------------------------------------------------------
    def run(self, stop_at: int | None = None) -> Path:
        """Train to ``cfg.steps`` (or ``stop_at``); returns the path of ``best.pt``.

        Raises:
            TrainingStopped: a stop signal ended it (``last.pt`` saved). TrainingDiverged: NaN loss or weights.
            RunDirError: the run is already finished.
        """
        cfg = self.cfg
        if self.step >= cfg.steps:
            raise RunDirError(f"{self.out}: the run is already at step {self.step} of {cfg.steps}")
        end = min(cfg.steps, stop_at) if stop_at is not None else cfg.steps
        kwargs: dict[str, Any] = {}
        if cfg.workers:
            import cv2

            cv2.setNumThreads(1)
            kwargs = {"num_workers": cfg.workers, "prefetch_factor": 4, "worker_init_fn": ignore_stop_signals,
                      "multiprocessing_context": "fork" if os.name != "nt" else "spawn"}
        loader = DataLoader(self.batches(), batch_size=None, **kwargs)
        stop: dict[str, int | None] = {"signal": None}
        handlers = {s: signal.signal(s, lambda signum, _f: stop.update(signal=signum))
                    for s in (signal.SIGTERM, signal.SIGINT)}
        bar = Progress(cfg.steps, desc=self.command.removeprefix("ocrlite "), unit="steps", initial=self.step)
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
                loss = self.loss(batch)
                if not torch.isfinite(loss):
                    raise TrainingDiverged(f"loss became {float(loss)} at step {self.step + 1}; the last good "
                                           f"{self.out / 'last.pt'} is kept: resume it with a lower --lr")
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if self.clip_norm is not None:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_norm)
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
            log(f"stopped at step {self.step}; continue with: {self.command} --out {self.out} --resume")
            if stop["signal"] is not None:
                raise TrainingStopped(int(stop["signal"]), self.step)
        else:
            log(f"done: {self.step} steps; best validation {self.best:.4g} → {self.out / 'best.pt'}")
        return self.out / "best.pt"
