"""The training loop: :class:`Trainer` holds one run's model, optimiser, data and validation sets and
steps it, saving ``last.pt`` on a schedule and on a stop signal; :func:`train` is the entry point
(``ocrlite train``), torchrun-aware.
"""

from __future__ import annotations

import math
import os
import signal
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader

from ocrlite.datasets.line_sets import LabeledLine, close_lmdb_envs, labels_look_case_folded, read_label_set
from ocrlite.nn.crnn import ModelConfig, build_model, count_parameters
from ocrlite.recognition.charset import Charset
from ocrlite.recognition.preprocess import PreprocessConfig
from ocrlite.training.batches import Batch, BatchStream
from ocrlite.training.config import (  # noqa: F401  (re-exported: the run's settings and outcomes)
    DEFAULT_STEPS, VAL_SEED, CheckpointWriteError, RunDirError, TrainConfig, TrainingDiverged, TrainingStopped,
    validate_config)
from ocrlite.training.log import log as _log
from ocrlite.training.losses import case_pairs, merge_letter_case  # noqa: F401  (re-exported)
from ocrlite.training.run_dir import RunFolder, transfer_charset_rows
from ocrlite.training.schedule import lr_at  # noqa: F401  (re-exported)
from ocrlite.training.validation import Validation
from ocrlite.training.workers import ignore_stop_signals as _ignore_stop_signals
from ocrlite.training.workers import stop_workers as _stop_workers
from ocrlite.utils.memory import release_memory
from ocrlite.utils.progress import Progress, format_seconds

#: Steps between giving freed heap memory back to the system (glibc ``malloc_trim``). Every batch has its own
#: width, so activations of new sizes are freed into glibc's arenas and kept there: a 200-step xception run at
#: batch 16 grew to 4.1 GiB (all processes, PSS) without it (``scripts/bench/train_memory.py``; issue 41).
TRIM_EVERY = 10


class _Laps:
    """Adds the seconds since the previous call to ``timings[name]`` (does nothing without ``timings``)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter() if timings is not None else 0.0

    def __call__(self, name: str) -> None:
        if self.timings is not None:
            if torch.cuda.is_initialized():  # GPU work is asynchronous: time it to its end
                torch.cuda.synchronize()
            now = time.perf_counter()
            self.timings[name] = self.timings.get(name, 0.0) + now - self.last
            self.last = now


class Trainer(RunFolder, Validation):
    """Holds the model, optimiser, data and validation sets of one run (folder handling: :class:`RunFolder`;
    validation: :class:`Validation`)."""

    def __init__(self, cfg: TrainConfig, resume: bool = False, force: bool = False) -> None:
        validate_config(cfg)
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.world = dist.get_world_size() if dist.is_initialized() else 1
        self.device = torch.device(cfg.device)
        self.step = 0
        self.samples_seen = 0
        self.best = math.inf
        self.failed_saves: set[str] = set()  # files whose latest save failed (the previous copy is kept)
        self.elapsed_before = 0.0
        self._start = time.perf_counter()  # run() restarts it; save() reads it
        self.stop_signal: int | None = None
        self._lock_run_dir()
        resume_state = self._check_run_dir(resume, force)
        if resume_state is not None:
            self.cfg = cfg = self._merge_resumed(resume_state["train"], cfg)
        if cfg.steps is None:
            cfg.steps = DEFAULT_STEPS
        if cfg.warmup >= cfg.steps:  # a warm-up longer than the run would never reach the learning rate
            short = max(1, cfg.steps // 10)
            _log(f"--warmup {cfg.warmup} is not shorter than the run's {cfg.steps} steps; warming up for {short}")
            cfg.warmup = short
        limit = os.environ.get("OMP_THREAD_LIMIT", "")
        if limit.isdigit() and int(limit) >= 1 and (cfg.threads or torch.get_num_threads()) > int(limit):
            # More torch threads than OpenMP allows spin forever in its barrier: keep within the limit.
            _log(f"OMP_THREAD_LIMIT={limit}: training with {limit} thread(s)")
            cfg.threads = int(limit)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.charset = Charset(cfg.charset)
        init_state = self._init_from(cfg.init) if cfg.init and resume_state is None else None
        if cfg.width_scale is None:
            cfg.width_scale = 1.0
        if cfg.trim_to_text is None:
            cfg.trim_to_text = False
        self.preprocess = PreprocessConfig(height=cfg.height, width_scale=cfg.width_scale,
                                           trim_to_text=cfg.trim_to_text)
        self.model_config = ModelConfig(cfg.backbone, self.charset.num_classes, dict(cfg.backbone_kwargs),
                                        hidden_size=cfg.hidden_size)
        # channels_last: mkldnn's depthwise convs run ~1.2× faster in it on CPU (measured).
        self.model = build_model(self.model_config).to(self.device, memory_format=torch.channels_last)
        if init_state is not None:
            state = transfer_charset_rows(init_state[0], init_state[1], self.charset, self.model.head.fc)
            self.model.load_state_dict(state)
        for part in cfg.freeze:  # kept as --init made them: no gradient, batch-norm statistics fixed (train_mode)
            getattr(self.model, part).requires_grad_(False)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        if cfg.freeze:
            _log(f"--freeze {' '.join(cfg.freeze)}: training {sum(p.numel() for p in trainable) / 1e6:.2f} M of "
                 f"{count_parameters(self.model) / 1e6:.2f} M parameters")
        self.optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
        if resume_state is not None:
            self._restore(resume_state)
        self.ddp_model: nn.Module = self.model
        if self.world > 1:
            self.ddp_model = nn.parallel.DistributedDataParallel(self.model)
        self.ctc = nn.CTCLoss(blank=0, reduction="mean", zero_infinity=True)
        self.real = []
        for s in cfg.train_data:
            lines, report = read_label_set(s, self.charset)
            if report.total_skipped:
                _log(report.summary())
            self.real += self._mark_case(s, lines)
        self.case_pairs = case_pairs(self.charset)
        self.val_sets = self._build_val_sets() if self.rank == 0 else {}

    def train_mode(self) -> None:
        """Put the model in training mode, its ``--freeze`` parts in eval mode (batch norm keeps its statistics)."""
        self.model.train()
        for part in self.cfg.freeze:
            getattr(self.model, part).eval()

    def _mark_case(self, name: str, lines: list[LabeledLine]) -> list[LabeledLine]:
        """Flag a set's lines as case-folded (``--train-case``; ``auto`` looks at the labels) and log it."""
        mode = self.cfg.train_case
        folded = mode == "folded" or (mode == "auto" and labels_look_case_folded([ln.text for ln in lines]))
        if not folded:
            return lines
        if mode == "auto":
            _log(f"{name}: no label has a lower-case letter; read as case-folded (either case of a letter "
                 f"counts as right; --train-case exact to turn this off)")
        return [replace(ln, text=ln.text.upper(), case_folded=True) for ln in lines]

    def loader(self) -> DataLoader:
        stream = BatchStream(
            self.charset, self.preprocess, self._generator_config(self.cfg.fonts), self.cfg.seed,
            self.cfg.batch_size, self.cfg.max_width, self.real, self.cfg.synth_ratio,
            self.rank, self.world, self.step, self.cfg.workers, self.cfg.batches_per_chunk,
        )
        kwargs: dict[str, Any] = {}
        import cv2

        cv2.setNumThreads(1)  # a multi-threaded OpenCV in the parent deadlocks forked DataLoader workers
        if self.cfg.workers > 0:
            close_lmdb_envs()  # an LMDB handle must not cross the fork; workers open their own
            kwargs = {"num_workers": self.cfg.workers, "prefetch_factor": 8, "persistent_workers": False,
                      "worker_init_fn": _ignore_stop_signals,
                      "multiprocessing_context": "fork" if os.name != "nt" else "spawn"}
        return DataLoader(stream, batch_size=None, collate_fn=lambda b: b, **kwargs)

    def train_step(self, batch: Batch, timings: dict[str, float] | None = None) -> float:
        """One optimiser step on ``batch``; returns the loss.

        ``timings``, when given, accumulates the seconds spent in each phase (``to_device``,
        ``forward``, ``loss``, ``backward``, ``optimizer``) for ``scripts/bench/profile_train.py``.
        """
        lap = _Laps(timings)
        images = batch.images.to(self.device, non_blocking=True, memory_format=torch.channels_last)
        targets, target_lengths = self.charset.encode_batch(batch.texts)
        for group in self.optimizer.param_groups:
            group["lr"] = lr_at(self.step, self.cfg)
        lap("to_device")
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cfg.bf16):
            widths = torch.tensor(batch.widths, dtype=torch.long, device=self.device)
            logits = self.ddp_model(images, widths)                  # (B, T, K); padding masked out
        lap("forward")
        log_probs = logits.float().log_softmax(-1).transpose(0, 1)   # (T, B, K) for CTCLoss
        if batch.case_folded and any(batch.case_folded):
            log_probs = merge_letter_case(log_probs, torch.tensor(batch.case_folded), self.case_pairs)
        input_lengths = torch.tensor([w // 4 for w in batch.widths], dtype=torch.long)
        loss = self.ctc(log_probs, torch.tensor(targets, dtype=torch.long), input_lengths,
                        torch.tensor(target_lengths, dtype=torch.long))
        lap("loss")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        lap("backward")
        nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip)  # frozen parts have no grad: skipped
        self.optimizer.step()
        value = float(loss.detach())
        lap("optimizer")
        return value

    def _global_count(self, local: int) -> int:
        """Lines in this step over all ranks (batches can differ slightly in size)."""
        if self.world == 1:
            return local
        count = torch.tensor([local], dtype=torch.long)
        dist.all_reduce(count)
        return int(count.item())

    def run(self, stop_at: int | None = None) -> Path:
        """Train until ``cfg.steps`` (or ``stop_at``, saving a resumable last.pt); returns best.pt's path."""
        cfg = self.cfg
        if self.step >= cfg.steps:
            raise RunDirError(f"{self.out}: the run is already at step {self.step} of {cfg.steps}; "
                              f"nothing to train (pass a larger --steps to extend it)")
        end = min(cfg.steps, stop_at) if stop_at is not None else cfg.steps
        self._start = time.perf_counter()
        _log(f"training {cfg.backbone} ({count_parameters(self.model) / 1e6:.2f} M parameters) for {cfg.steps} steps "
             f"of {cfg.batch_size} × {self.world} lines → {self.out}")
        stop = {"signal": None}

        def on_signal(signum, _frame):  # finish the step, save last.pt, then exit
            stop["signal"] = signum

        handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)} if self.rank == 0 else {}
        bar = Progress(cfg.steps, desc=f"train {cfg.backbone}", unit="steps", initial=self.step) if self.rank == 0 else None
        loss_avg = None
        window_samples, window_start = 0, time.perf_counter()
        last_metrics: dict[str, Any] = {}
        self.train_mode()
        batches = iter(self.loader())
        try:
            for batch in batches:
                if self.step >= end or stop["signal"] is not None:
                    break
                loss = self.train_step(batch)
                if not math.isfinite(loss):
                    last = self.out / "last.pt"
                    raise TrainingDiverged(
                        f"loss became {loss} at step {self.step + 1}; stopped. " + (
                            f"The last good {last} is kept: resume it with a lower --lr, or check --train-data"
                            if last.is_file() else "No last.pt was saved yet: start again with a lower --lr, "
                            "or check --train-data"))
                self.step += 1
                if self.step % TRIM_EVERY == 0:
                    release_memory()
                n = self._global_count(len(batch.texts))
                self.samples_seen += n
                window_samples += n
                loss_avg = loss if loss_avg is None else 0.98 * loss_avg + 0.02 * loss
                rate = window_samples / max(1e-9, time.perf_counter() - window_start)
                if bar is not None:
                    bar.update(1, loss=f"{loss_avg:.3f}", lr=f"{lr_at(self.step, cfg):.2e}", samples_s=f"{rate:.0f}")
                if self.step % cfg.val_every == 0 or self.step == cfg.steps:
                    last_metrics = self._validate_and_save(loss_avg, rate)
                    window_samples, window_start = 0, time.perf_counter()
                elif self.step % cfg.save_every == 0 and self.rank == 0:
                    self.save("last.pt", last_metrics, with_resume=True)
        finally:
            for s, h in handlers.items():
                signal.signal(s, h)
            _stop_workers(batches)
        if bar is not None:
            bar.close()
        self.stop_signal = stop["signal"]
        if self.rank == 0:
            if stop["signal"] is not None or self.step < cfg.steps:
                self.save("last.pt", last_metrics, with_resume=True)
            if "last.pt" in self.failed_saves:  # never report a run as saved when its last state is not on disk
                kept = " (an older last.pt is kept)" if (self.out / "last.pt").is_file() else ""
                raise CheckpointWriteError(f"{self.out / 'last.pt'}: could not save step {self.step}{kept}; "
                                           f"free some space and rerun with --resume")
            if stop["signal"] is not None or self.step < cfg.steps:
                _log(f"stopped at step {self.step}; continue with: ocrlite train --out {self.out} --resume")
            else:
                self._summary(last_metrics)
        return self.out / "best.pt"

    def _summary(self, metrics: dict[str, Any]) -> None:
        _log(f"done: {self.step} steps, {self.samples_seen} samples in {format_seconds(self.elapsed())}; "
             f"best mean synthetic CER {self.best:.2%}")
        files = [(label, self.out / name) for label, name in (("best", "best.pt"), ("last", "last.pt"),
                                                              ("log", "metrics.jsonl"))]
        _log("\n".join(f"  {label + ':':6} {path}" for label, path in files if path.is_file()))


def setup_distributed(device: str) -> bool:
    """Join the process group when launched by torchrun (gloo on CPU, nccl on GPU)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return False
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    if device.startswith("cuda"):
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return True


def train(cfg: TrainConfig, resume: bool = False, force: bool = False, stop_at: int | None = None) -> Path:
    """Train (or resume) a run; returns the path of ``best.pt``.

    Args:
        cfg: settings (on resume, the run's stored settings win except steps/threads/device).
        resume: continue ``cfg.out/last.pt``.
        force: overwrite a non-empty run folder.
        stop_at: stop at this step with a resumable last.pt (the schedule still targets ``cfg.steps``).

    Raises:
        TrainingStopped: a stop signal ended the run (last.pt saved); TrainingDiverged: NaN/Inf loss or
        weights (the last good last.pt kept); RunDirError / ValueError: bad folder or settings.
    """
    validate_config(cfg)
    started = setup_distributed(cfg.device)
    try:
        trainer = Trainer(cfg, resume, force)
        best = trainer.run(stop_at)
        if trainer.stop_signal is not None:
            raise TrainingStopped(trainer.stop_signal, trainer.step)
        return best
    finally:
        if started:
            dist.destroy_process_group()
