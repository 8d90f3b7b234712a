"""Training speed per backbone: samples/s of the training step at batch 32, H = 32.

    python scripts/bench_train.py [--threads 2] [--batches 8] [--backbones ...]

Uses the settings `ocrlite train` uses by default (default-size models, BiLSTM-96, AdamW,
channels_last, fp32; bf16 is reported separately with --bf16). Every backbone trains on the same
pre-generated, width-bucketed synthetic batches, after one warm-up step; the median of the
per-batch rates is reported (samples per second of the step alone: data generation runs in a
separate worker during real training).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from ocrlite.backbones import list_backbones
from ocrlite.batches import BatchStream
from ocrlite.charset import Charset
from ocrlite.model import count_parameters
from ocrlite.preprocess import PreprocessConfig
from ocrlite.synth.generator import GeneratorConfig
from ocrlite.train import TrainConfig, Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--backbones", nargs="*", default=list_backbones())
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg0 = TrainConfig()
    stream = BatchStream(Charset(cfg0.charset), PreprocessConfig(), GeneratorConfig(),
                         seed=0, batch_size=32, batches_per_chunk=args.batches)
    batches = stream.chunk_batches(0)
    mean_w = sum(b.images.shape[-1] for b in batches) / len(batches)
    print(f"batch 32, H 32, mean padded width {mean_w:.0f} px, {args.threads} threads, bf16={args.bf16}\n")
    print("| backbone | params (M) | samples/s (median) |")
    print("|---|---|---|")
    for name in args.backbones:
        with tempfile.TemporaryDirectory() as tmp:
            trainer = Trainer(TrainConfig(backbone=name, out=tmp, threads=args.threads, bf16=args.bf16, val_size=1))
            trainer.train_step(batches[0])
            rates = []
            for b in batches:
                start = time.perf_counter()
                trainer.train_step(b)
                rates.append(len(b.texts) / (time.perf_counter() - start))
        print(f"| {name} | {count_parameters(trainer.model) / 1e6:.2f} | {statistics.median(rates):.1f} |")


if __name__ == "__main__":
    main()
