"""The run folder: its lock, fresh / forced / resumed starts, --init from another model, and atomic saves
of ``best.pt`` and the resumable ``last.pt`` (model, optimizer, step, RNG: an exact resume).

:class:`RunFolder` is a mixin of :class:`ocrlite.training.trainer.Trainer`; it reads the trainer's
``cfg``, ``out``, ``rank``, ``model``, ``optimizer`` and counters.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ocrlite.nn.checkpoint import atomic_save, checkpoint_dict, load_checkpoint, read_checkpoint
from ocrlite.recognition.charset import Charset
from ocrlite.recognition.zoo import named_or_path
from ocrlite.synth.fonts import FONT_DIR
from ocrlite.training.config import RunDirError, TrainConfig, TrainingDiverged
from ocrlite.training.log import log as _log
from ocrlite.utils.locks import LOCK_NAME, FolderBusyError, lock_folder
from ocrlite.utils.outputs import remove_stale_temporaries


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


class RunFolder:
    """Start, lock, resume and save a run folder (mixin of the trainer)."""

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
            # a run killed while saving leaves a temporary beside its file: ours now, so clear it
            remove_stale_temporaries(self.out, ["best.pt", "last.pt"])

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
        loaded = load_checkpoint(named_or_path(path, ".pt"))  # a shipped model by name: "default", "fast"
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
            kept = "the previous file is kept" if (self.out / name).is_file() else "there is no earlier copy"
            _log(f"\n{self.out / name}: could not save ({getattr(err, 'strerror', None) or err}); {kept}")
            self.failed_saves.add(name)
            return False
        self.failed_saves.discard(name)
        return True

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self._start
