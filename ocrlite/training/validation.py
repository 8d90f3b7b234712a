"""Validation during training: fixed synthetic sets (training and held-out fonts) and each ``--val``
set, scored by CER; ``best.pt`` keeps the lowest mean synthetic CER (never a user's set).

:class:`Validation` is a mixin of :class:`ocrlite.training.trainer.Trainer`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch.distributed as dist

from ocrlite.datasets.line_sets import read_label_set
from ocrlite.evaluation.evaluate import evaluate_prepared
from ocrlite.nn.torch_engine import TorchLineRecognizer
from ocrlite.recognition.preprocess import prepare
from ocrlite.synth.augment import AugmentConfig
from ocrlite.synth.fonts import FONT_DIR, HOLDOUT_FONT_DIR
from ocrlite.synth.generator import GeneratorConfig, LineGenerator
from ocrlite.synth.render import RenderConfig
from ocrlite.training.config import VAL_SEED
from ocrlite.training.log import log as _log
from ocrlite.utils.memory import release_memory
from ocrlite.training.schedule import lr_at


class Validation:
    """Build the validation sets once, score the model on them, log and save (mixin of the trainer)."""

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
        rec = TorchLineRecognizer(self.model, self.charset, self.preprocess, self.device)
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

    def validate(self) -> dict[str, Any]:
        """Score every validation set. Read at the training batch size (at most 64), with the heap trimmed
        before and after: scoring at 64 after training at 16 left ~1 GiB more in glibc's arenas (issue 41)."""
        self.model.eval()
        release_memory()
        rec = TorchLineRecognizer(self.model, self.charset, self.preprocess, self.device)
        result: dict[str, Any] = {}
        batch_size = max(1, min(64, self.cfg.batch_size))
        for name, (images, truths, fold) in self.val_sets.items():
            scores, _, _ = evaluate_prepared(rec, images, truths, batch_size=batch_size, fold_case=fold)
            result[name] = {"cer": round(scores.cer, 5), "accuracy": round(scores.accuracy, 4), "lines": scores.lines}
        self.train_mode()
        release_memory()
        return result

    def selection_score(self, val: dict[str, Any]) -> float:
        """best.pt keeps the lowest mean CER over the two synthetic validation sets."""
        return float(np.mean([val[k]["cer"] for k in ("synth_val", "synth_unseen_fonts")]))

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
