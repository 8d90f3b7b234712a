"""Training loop: CTC on synthetic (+ real) lines, validation, best/last checkpoints, exact resume, DDP.

``train(config)`` is what ``ocrlite train`` and ``torchrun -m ocrlite train`` call. Under
torchrun each rank draws distinct batches; only rank 0 validates and writes files.
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader

from ocrlite.batches import Batch, BatchStream
from ocrlite.charset import CHARSET_V2, Charset
from ocrlite.checkpoint import atomic_save, checkpoint_dict, load_checkpoint, read_checkpoint
from ocrlite.data import LabeledLine, close_lmdb_envs, labels_look_case_folded, read_label_set
from ocrlite.evaluate import evaluate_prepared
from ocrlite.model import ModelConfig, build_model, count_parameters
from ocrlite.predict import Recognizer
from ocrlite.preprocess import PreprocessConfig, prepare
from ocrlite.progress import Progress, format_seconds
from ocrlite.synth.augment import AugmentConfig
from ocrlite.synth.fonts import FONT_DIR, HOLDOUT_FONT_DIR
from ocrlite.locks import LOCK_NAME, FolderBusyError, lock_folder
from ocrlite.progress import write_stderr
from ocrlite.synth.generator import GeneratorConfig, LineGenerator
from ocrlite.synth.render import RenderConfig

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


TRAIN_CASE_CHOICES = ("auto", "exact", "folded")


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


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up to ``cfg.lr``, then cosine decay to 2 % of it at ``cfg.steps``."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


def transfer_charset_rows(state: dict[str, torch.Tensor], old: Charset, new: Charset, head: nn.Linear
                          ) -> dict[str, torch.Tensor]:
    """Map the head of a checkpoint trained on ``old`` to ``new``: shared characters keep their rows.

    The blank (row 0) is kept; characters only in ``new`` keep ``head``'s fresh initialisation.
    """
    w_old, b_old = state["head.fc.weight"], state["head.fc.bias"]
    w_new, b_new = head.weight.detach().clone(), head.bias.detach().clone()
    w_new[0], b_new[0] = w_old[0], b_old[0]
    for i, ch in enumerate(new.chars, start=1):
        j = old.chars.find(ch)
        if j >= 0:
            w_new[i], b_new[i] = w_old[j + 1], b_old[j + 1]
    return {**state, "head.fc.weight": w_new, "head.fc.bias": b_new}


def case_pairs(charset: Charset) -> tuple[torch.Tensor, torch.Tensor]:
    """Class ids ``(upper, lower)`` of every letter whose two cases are both in ``charset``."""
    upper, lower = [], []
    for ch in charset.chars:
        if ch.isupper() and ch.lower() in charset.chars and len(ch.lower()) == 1:
            upper.append(charset.chars.index(ch) + 1)
            lower.append(charset.chars.index(ch.lower()) + 1)
    return torch.tensor(upper, dtype=torch.long), torch.tensor(lower, dtype=torch.long)


def merge_letter_case(log_probs: torch.Tensor, folded: torch.Tensor, pairs: tuple[torch.Tensor, torch.Tensor]
                      ) -> torch.Tensor:
    """For case-folded lines, let an upper-case label letter be read in either case.

    Args:
        log_probs: ``(T, B, K)`` log-softmax outputs.
        folded: ``(B,)`` bool, the lines whose labels are upper-cased.
        pairs: ``(upper, lower)`` class ids from :func:`case_pairs`.

    Returns:
        ``(T, B, K)``: for folded lines the upper-case column holds ``log(p(upper) + p(lower))``, so
        CTC on the upper-cased label scores the line's letters without asking for a case; other lines
        are unchanged.
    """
    upper, lower = pairs
    if upper.numel() == 0:
        return log_probs
    either = torch.logaddexp(log_probs[:, :, upper], log_probs[:, :, lower])       # (T, B, L)
    columns = torch.where(folded.to(log_probs.device)[None, :, None], either, log_probs[:, :, upper])
    return log_probs.index_copy(2, upper.to(log_probs.device), columns)


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


def _is_rank0() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def _log(msg: str) -> None:
    if _is_rank0():
        write_stderr(msg + "\n")


def _ignore_stop_signals(_worker_id: int) -> None:
    """DataLoader workers ignore Ctrl-C / SIGTERM sent to the whole process group (a terminal, ``kill -- -PGID``).

    Otherwise the worker dies first and the main process crashes on "worker killed" before it can save
    last.pt; this way the main process finishes its step, saves, and shuts the workers down itself.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _stop_workers(batches: Any) -> None:
    """End the DataLoader's worker processes now (they ignore SIGTERM, see :func:`_ignore_stop_signals`).

    After an error in a worker or in the step, waiting for them at exit would hang forever.
    """
    for worker in getattr(batches, "_workers", []):
        if worker.is_alive():
            worker.kill()
    shutdown = getattr(batches, "_shutdown_workers", None)
    if shutdown is not None:
        try:
            shutdown()
        except Exception:  # noqa: BLE001 - best effort: the workers are already gone
            pass


class Trainer:
    """Holds the model, optimiser, data and validation sets of one run."""

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
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
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

    # ------------------------------------------------------------------ setup
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

    def _check_run_dir(self, resume: bool, force: bool) -> dict[str, Any] | None:
        last = self.out / "last.pt"
        if resume:
            if not last.is_file():
                raise RunDirError(f"{last}: nothing to resume (no last.pt in the run folder)")
            ck = read_checkpoint(last)
            if "resume" not in ck:
                raise RunDirError(f"{last}: has no optimizer state; it is not a resumable last.pt")
            return ck
        if self.out.exists() and any(p.name != LOCK_NAME for p in self.out.iterdir()) and not force:
            raise RunDirError(
                f"{self.out}: run folder exists and is not empty; pass --resume to continue it, "
                f"--force to overwrite it, or choose another --out"
            )
        if self.rank == 0 and force:
            for name in ("best.pt", "last.pt", "metrics.jsonl"):  # nothing of the previous run survives
                (self.out / name).unlink(missing_ok=True)
        return None

    def _lock_run_dir(self) -> None:
        """Hold an exclusive lock on ``RUN_DIR/.lock`` for the life of the run (one writer per folder)."""
        self._lock_file = None
        if self.rank == 0:
            try:
                self._lock_file = lock_folder(self.out, "ocrlite train")
            except FolderBusyError as err:
                raise RunDirError(str(err)) from None

    @staticmethod
    def _merge_resumed(stored: dict[str, Any], given: TrainConfig) -> TrainConfig:
        """The run's stored settings win, except the ones a resume may change (steps, threads, device, workers).

        ``given.steps`` of None keeps the run's own schedule; a number changes it (and the LR curve) and is logged.
        """
        merged = TrainConfig(**{k: v for k, v in stored.items() if k in TrainConfig.__dataclass_fields__})
        if "batches_per_chunk" not in stored:
            merged.batches_per_chunk = 8  # runs from before the setting sorted 8 batches at a time
        if given.steps is not None and given.steps != merged.steps:
            _log(f"resume: schedule changed from {merged.steps} to {given.steps} steps (the LR curve follows it)")
            merged.steps = given.steps
        merged.threads, merged.device, merged.out = given.threads, given.device, given.out
        if given.workers != TrainConfig.workers and given.workers != merged.workers:
            # More data workers on a bigger machine (a GPU's 16 cores): the batches stay the
            # generator's, only which chunk comes when changes.
            _log(f"resume: {given.workers} data workers (the run had {merged.workers})")
            merged.workers = given.workers
        if merged.fonts and not Path(merged.fonts).is_dir():
            # An older run stored the training machine's absolute path of the shipped library.
            _log(f"resume: font folder {merged.fonts} is not here; using the shipped library {FONT_DIR}")
            merged.fonts = None
        return merged

    def _init_from(self, path: str) -> tuple[dict[str, torch.Tensor], Charset]:
        loaded = load_checkpoint(path)
        if loaded.config.backbone != self.cfg.backbone:
            _log(f"--init {path}: using its backbone {loaded.config.backbone!r} (not {self.cfg.backbone!r})")
        self.cfg.backbone = loaded.config.backbone
        self.cfg.backbone_kwargs = dict(loaded.config.backbone_kwargs)
        self.cfg.hidden_size = loaded.config.hidden_size
        self.cfg.height = loaded.preprocess.height
        if self.cfg.width_scale is None:
            self.cfg.width_scale = loaded.preprocess.width_scale
        if self.cfg.trim_to_text is None:  # a fine-tune reads its lines as the model it starts from does
            self.cfg.trim_to_text = loaded.preprocess.trim_to_text
        return loaded.model.state_dict(), loaded.charset

    def _restore(self, ck: dict[str, Any]) -> None:
        state = {k: v.float() if v.is_floating_point() else v for k, v in ck["state_dict"].items()}
        self.model.load_state_dict(state)
        r = ck["resume"]
        self.optimizer.load_state_dict(r["optimizer"])
        self.step, self.samples_seen = int(r["step"]), int(r["samples_seen"])
        self.best, self.elapsed_before = float(r["best"]), float(r["elapsed"])
        torch.set_rng_state(r["torch_rng"])
        _log(f"resuming {self.out} at step {self.step} ({self.samples_seen} samples seen)")

    def _generator_config(self, fonts: str | Path) -> GeneratorConfig:
        return GeneratorConfig(fonts=fonts or FONT_DIR, render=RenderConfig(strength=self.cfg.strength),
                               augment_config=AugmentConfig(strength=self.cfg.strength))

    def _build_val_sets(self) -> dict[str, tuple[list[np.ndarray], list[str], bool]]:
        """Fixed validation sets: synthetic (training fonts), synthetic (held-out fonts), and each --val set."""
        sets: dict[str, tuple[list[np.ndarray], list[str], bool]] = {}
        for name, fonts in (("synth_val", self.cfg.fonts), ("synth_unseen_fonts", HOLDOUT_FONT_DIR)):
            gen = LineGenerator(self.charset, self._generator_config(fonts))
            pairs = [gen.generate(VAL_SEED, i) for i in range(self.cfg.val_size)]
            sets[name] = ([prepare(im, self.preprocess) for im, _ in pairs], [t for _, t in pairs], False)
        rec = Recognizer(self.model, self.charset, self.preprocess, self.device)
        for s in self.cfg.val:
            lines, report = read_label_set(s)
            if report.total_skipped:
                _log(report.summary())
            images, truths = [], []
            for line in lines:
                try:
                    images.append(rec.prepare(line.load()))
                    truths.append(line.text)
                except Exception as err:  # noqa: BLE001 - reported, then skipped
                    _log(f"{line.path}: skipped in validation ({err})")
            if not images:  # scoring nothing would print "CER 0.00 %" for a set that was never read
                raise ValueError(f"--val {s}: none of its {len(lines)} images could be read; fix or drop the set")
            sets[Path(s).name or s] = (images, truths, self.cfg.fold_case_val)
        return sets

    # ------------------------------------------------------------------ loop
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
        ``forward``, ``loss``, ``backward``, ``optimizer``) for ``scripts/profile_train.py``.
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
        nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip)
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

    def validate(self) -> dict[str, Any]:
        self.model.eval()
        rec = Recognizer(self.model, self.charset, self.preprocess, self.device)
        result: dict[str, Any] = {}
        for name, (images, truths, fold) in self.val_sets.items():
            scores, _, _ = evaluate_prepared(rec, images, truths, batch_size=64, fold_case=fold)
            result[name] = {"cer": round(scores.cer, 5), "accuracy": round(scores.accuracy, 4), "lines": scores.lines}
        self.model.train()
        return result

    def selection_score(self, val: dict[str, Any]) -> float:
        """best.pt keeps the lowest mean CER over the two synthetic validation sets."""
        return float(np.mean([val[k]["cer"] for k in ("synth_val", "synth_unseen_fonts")]))

    def save(self, name: str, metrics: dict[str, Any], with_resume: bool) -> bool:
        """Write ``RUN_DIR/name`` atomically; on failure (disk full…) report it, keep the old file, go on.

        Raises:
            TrainingDiverged: a weight is NaN or infinite (nothing is written: the previous file stays good).
        """
        if not all(torch.isfinite(p).all() for p in self.model.parameters()):
            raise TrainingDiverged(f"weights became NaN or infinite by step {self.step}; {self.out / name} not written")
        ck = checkpoint_dict(self.model, self.model_config, self.charset, self.preprocess, metrics, asdict(self.cfg))
        if with_resume:
            ck["resume"] = {
                "step": self.step, "samples_seen": self.samples_seen, "best": self.best,
                "elapsed": self.elapsed(), "optimizer": self.optimizer.state_dict(),
                "torch_rng": torch.get_rng_state(), "world_size": self.world, "workers": self.cfg.workers,
            }
        try:
            atomic_save(ck, self.out / name)
        except (OSError, RuntimeError) as err:  # torch reports a full disk as RuntimeError
            _log(f"\n{self.out / name}: could not save ({getattr(err, 'strerror', None) or err}); "
                 f"the previous file is kept")
            self.failed_saves.add(name)
            return False
        self.failed_saves.discard(name)
        return True

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self._start

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
        self.model.train()
        batches = iter(self.loader())
        try:
            for batch in batches:
                if self.step >= end or stop["signal"] is not None:
                    break
                loss = self.train_step(batch)
                if not math.isfinite(loss):
                    raise TrainingDiverged(
                        f"loss became {loss} at step {self.step + 1}; stopped. The last good {self.out / 'last.pt'} "
                        f"is kept: resume it with a lower --lr, or check --train-data")
                self.step += 1
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

    def _validate_and_save(self, loss_avg: float | None, rate: float) -> dict[str, Any]:
        metrics: dict[str, Any] = {}
        if self.rank == 0:
            val = self.validate()
            metrics = {"step": self.step, "samples_seen": self.samples_seen, "loss": round(loss_avg or 0.0, 4),
                       "lr": lr_at(self.step, self.cfg), "samples_per_s": round(rate, 1),
                       "elapsed_s": round(self.elapsed(), 1), "val": val}
            score = self.selection_score(val)
            if score < self.best:
                self.best = score
                self.save("best.pt", metrics, with_resume=False)
            self.save("last.pt", metrics, with_resume=True)
            with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(metrics) + "\n")
            shown = "  ".join(f"{k} CER {v['cer']:.2%} acc {v['accuracy']:.1%}" for k, v in val.items())
            _log(f"\nstep {self.step}: loss {metrics['loss']:.3f}  {shown}")
        if dist.is_initialized():
            dist.barrier()
        return metrics

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
