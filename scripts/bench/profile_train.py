"""Where a training step's time goes: data wait, forward, CTC loss, backward, optimizer, validation.

    python scripts/bench/profile_train.py [--backbone xception] [--steps 80] [--threads 2] [--workers 1]
        [--batch-size 32] [--batches-per-chunk 32] [--val ../shared/data/sroie_dev]

Runs the real training loop (`ocrlite train`'s Trainer, data worker and batches) in a temporary run
folder, timing each phase of every step after the first ``--skip`` steps, then one validation and one
last.pt save. Prints a table of milliseconds per step and shares, the samples/s of the loop with and
without its data wait, and how much of each batch is width padding. Run it with nothing else busy
on the machine (pause a training run with kill -STOP first): it measures the CPU it is given.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from ocrlite.training.trainer import TrainConfig, Trainer

PHASES = ("data_wait", "to_device", "forward", "loss", "backward", "optimizer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", default="xception")
    parser.add_argument("--steps", type=int, default=80, help="timed steps")
    parser.add_argument("--skip", type=int, default=5, help="untimed warm-up steps")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches-per-chunk", type=int, default=TrainConfig.batches_per_chunk,
                        help="batches sorted by width together (8 = runs before this setting)")
    parser.add_argument("--val", nargs="*", default=[], help="real validation sets, as ocrlite train --val")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.steps < 1 or args.skip < 0:
        parser.error("--steps must be >= 1 and --skip >= 0")

    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(TrainConfig(backbone=args.backbone, out=out, threads=args.threads, workers=args.workers,
                                      batch_size=args.batch_size, val=list(args.val), device=args.device,
                                      batches_per_chunk=args.batches_per_chunk))
        timings: dict[str, float] = {}
        per_step: list[float] = []
        padded = real = samples = 0
        batches = iter(trainer.loader())
        for step in range(args.skip + args.steps):
            start = time.perf_counter()
            batch = next(batches)
            waited = time.perf_counter() - start
            step_timings: dict[str, float] = {"data_wait": waited}
            trainer.train_step(batch, step_timings)
            trainer.step += 1
            if step >= args.skip:
                for name, seconds in step_timings.items():
                    timings[name] = timings.get(name, 0.0) + seconds
                per_step.append(time.perf_counter() - start)
                padded += batch.images.shape[-1] * len(batch.widths)
                real += sum(batch.widths)
                samples += len(batch.texts)
        start = time.perf_counter()
        trainer.validate()
        validation = time.perf_counter() - start
        start = time.perf_counter()
        trainer.save("last.pt", {}, with_resume=True)
        saving = time.perf_counter() - start

    total = sum(per_step)
    print(f"{args.backbone}, batch {args.batch_size}, {args.threads} threads, {args.workers} data worker(s), "
          f"chunks of {args.batches_per_chunk} batches, {args.steps} steps timed after {args.skip}\n")
    print("| phase | ms per step | share |")
    print("|---|---|---|")
    for name in PHASES:
        ms = 1000 * timings.get(name, 0.0) / args.steps
        print(f"| {name} | {ms:.1f} | {timings.get(name, 0.0) / total:.0%} |")
    print(f"| whole step (median) | {1000 * statistics.median(per_step):.1f} | |")
    compute = total - timings.get("data_wait", 0.0)
    print(f"\nloop: {samples / total:.1f} samples/s; without the data wait: {samples / compute:.1f} samples/s")
    print(f"width padding: {1 - real / padded:.1%} of the batch columns")
    lines = sum(len(v[1]) for v in trainer.val_sets.values())
    print(f"one validation ({lines} lines): {validation:.1f} s; one last.pt save: {1000 * saving:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
