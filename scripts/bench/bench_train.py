"""Training speed per backbone: samples/s of the training step at batch 32, H = 32.

    python scripts/bench/bench_train.py [--threads 2] [--samples 1024] [--chunks 8 32] [--backbones ...] [--bf16]

Uses the settings `ocrlite train` uses by default (default-size models, BiLSTM-96, AdamW,
channels_last, fp32; bf16 autocast with --bf16). Every backbone trains on the same
pre-generated synthetic lines, cut into width-sorted batches the way the training stream cuts
them: ``--chunks 8 32`` compares sorting 8 batches at a time (runs before TrainConfig.batches_per_chunk)
with 32 (the default now) on the same lines. The rate is lines over the summed step time after
one warm-up step: wide batches cost more than narrow ones, so this is the rate a run gets, not a
median of per-batch rates. Data generation is not timed (it runs in a separate worker during
training; scripts/bench/profile_train.py times the whole loop). Run it with nothing else busy.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from ocrlite.nn.backbones import list_backbones
from ocrlite.training.batches import Batch, BatchStream
from ocrlite.recognition.charset import Charset
from ocrlite.nn.crnn import count_parameters
from ocrlite.recognition.preprocess import PreprocessConfig
from ocrlite.synth.generator import GeneratorConfig
from ocrlite.training.trainer import TrainConfig, Trainer

BATCH = 32


def width_sorted_batches(samples: int, batches_per_chunk: int) -> list[Batch]:
    """The first ``samples`` training lines (seed 0), batched as a run with that chunk setting batches them."""
    stream = BatchStream(Charset(TrainConfig().charset), PreprocessConfig(), GeneratorConfig(), seed=0,
                         batch_size=BATCH, batches_per_chunk=batches_per_chunk)
    chunks = max(1, samples // (BATCH * batches_per_chunk))
    return [b for c in range(chunks) for b in stream.chunk_batches(c)]


def padding_share(batches: list[Batch]) -> float:
    padded = sum(b.images.shape[-1] * len(b.widths) for b in batches)
    return 1 - sum(sum(b.widths) for b in batches) / padded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=1024, help="lines timed per backbone and chunk setting")
    parser.add_argument("--chunks", type=int, nargs="+", default=[TrainConfig.batches_per_chunk],
                        help="batches sorted by width together (TrainConfig.batches_per_chunk)")
    parser.add_argument("--backbones", nargs="*", default=list_backbones())
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    if args.samples < BATCH or min(args.chunks) < 1:
        parser.error(f"--samples must be >= {BATCH} and --chunks >= 1")
    torch.set_num_threads(args.threads)
    sets = {c: width_sorted_batches(args.samples, c) for c in args.chunks}
    print(f"batch {BATCH}, H 32, {args.threads} threads, bf16={args.bf16}")
    for c, batches in sets.items():
        print(f"chunks of {c} batches: {sum(len(b.texts) for b in batches)} lines in {len(batches)} batches, "
              f"{padding_share(batches):.1%} of the batch columns are padding")
    print("\n| backbone | params (M) | " + " | ".join(f"samples/s, chunks of {c}" for c in sets) + " |")
    print("|---|---|" + "---|" * len(sets))
    for name in args.backbones:
        rates = []
        for batches in sets.values():
            with tempfile.TemporaryDirectory() as tmp:
                trainer = Trainer(TrainConfig(backbone=name, out=tmp, threads=args.threads, bf16=args.bf16,
                                              val_size=1))
                trainer.train_step(batches[-1])
                spent = 0.0
                for b in batches:
                    start = time.perf_counter()
                    trainer.train_step(b)
                    spent += time.perf_counter() - start
                rates.append(sum(len(b.texts) for b in batches) / spent)
        row = " | ".join(f"{r:.1f}" for r in rates)
        print(f"| {name} | {count_parameters(trainer.model) / 1e6:.2f} | {row} |", flush=True)


if __name__ == "__main__":
    main()
