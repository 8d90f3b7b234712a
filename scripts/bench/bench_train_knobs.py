"""The training-step knobs, measured on the bare step: memory format, bf16, batch size, torch.compile, op shares.

    python scripts/bench/bench_train_knobs.py [--backbone xception] [--threads 2] [--width 384] [--steps 6] [--compile]

One model (the `ocrlite train` default size, BiLSTM-96, AdamW) trains on random batches of
``(B, 1, 32, width)``; each variant gets its own fresh model, two warm-up steps and the median of
``--steps`` timed steps (forward, CTC-free surrogate loss, backward, AdamW). Rates are samples/s
and thousands of image columns per second (the cost of a line is close to proportional to its
width). ``--compile`` adds torch.compile (its compile time is printed, it is paid once per new width
unless dynamic shapes kick in). Last, a torch.profiler table of the top operators of the default
variant (channels_last, fp32, batch 32). Run it with nothing else busy.
"""

from __future__ import annotations

import argparse
import time

import torch

from ocrlite.evaluation.bench import median_time
from ocrlite.recognition.charset import Charset
from ocrlite.nn.crnn import ModelConfig, build_model
from ocrlite.training.trainer import TrainConfig


def make_step(backbone: str, batch: int, width: int, channels_last: bool, bf16: bool, compiled: bool):
    cfg = TrainConfig()
    charset = Charset(cfg.charset)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = build_model(ModelConfig(backbone, charset.num_classes, {}, hidden_size=cfg.hidden_size)).to(memory_format=fmt)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    forward = torch.compile(model) if compiled else model
    images = torch.randn(batch, 1, 32, width).to(memory_format=fmt)

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = forward(images)                                 # (B, T, K)
        loss = logits.float().log_softmax(-1).amax(-1).mean()        # a cheap stand-in for CTC (~1 % of a step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbone", default="xception")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--width", type=int, default=384)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    if args.width < 32 or args.steps < 1:
        parser.error("--width must be >= 32 and --steps >= 1")
    torch.set_num_threads(args.threads)
    variants = [
        ("channels_last, fp32, batch 32 (ocrlite train)", dict(batch=32, channels_last=True, bf16=False)),
        ("contiguous, fp32, batch 32", dict(batch=32, channels_last=False, bf16=False)),
        ("channels_last, bf16 autocast, batch 32", dict(batch=32, channels_last=True, bf16=True)),
        ("channels_last, fp32, batch 16", dict(batch=16, channels_last=True, bf16=False)),
        ("channels_last, fp32, batch 64", dict(batch=64, channels_last=True, bf16=False)),
    ]
    print(f"{args.backbone}, {args.threads} threads, random lines 32 x {args.width}, median of {args.steps} steps\n")
    print("| variant | samples/s | k columns/s |")
    print("|---|---|---|")
    for name, kw in variants:
        seconds = median_time(make_step(args.backbone, width=args.width, compiled=False, **kw), args.steps, warmup=2)
        print(f"| {name} | {kw['batch'] / seconds:.1f} | {kw['batch'] * args.width / seconds / 1000:.1f} |", flush=True)
    if args.compile:
        step = make_step(args.backbone, 32, args.width, channels_last=True, bf16=False, compiled=True)
        start = time.perf_counter()
        step()
        compile_s = time.perf_counter() - start
        seconds = median_time(step, args.steps, warmup=2)
        print(f"| channels_last, fp32, batch 32, torch.compile ({compile_s:.0f} s to compile) | {32 / seconds:.1f} | "
              f"{32 * args.width / seconds / 1000:.1f} |")

    from torch.profiler import ProfilerActivity, profile

    step = make_step(args.backbone, 32, args.width, channels_last=True, bf16=False, compiled=False)
    step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            step()
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in events)
    print("\n| operator (channels_last, fp32, batch 32) | share of the step |")
    print("|---|---|")
    for e in events[:10]:
        print(f"| {e.key} | {e.self_cpu_time_total / total:.1%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
