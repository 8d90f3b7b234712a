"""Average the weights of checkpoints from one training run (a "checkpoint soup"):

    python scripts/ship/average_weights.py A.pt B.pt [C.pt ...] --out soup.pt [--weights 0.5 0.5] [--force]

Every checkpoint must hold the same network, charset and preprocessing (checkpoints of one run, or a
fine-tune and the checkpoint it started from); floating tensors — weights and batch-norm statistics — are
averaged with ``--weights`` (default: equal), integer tensors (batch-norm step counters) are taken from the
last file. The result is an ordinary checkpoint (its ``train`` and ``metrics`` from the last file, with the
sources recorded under ``train["averaged_from"]``): evaluate it and ship it like any other
(``scripts/ship/ship_gate.sh``, ``scripts/ship/ship_weights.py``). Averaging points of one trajectory lands
between them in weight space, usually no worse than either on what both read well — it is a candidate,
not a result: the gate decides.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ocrlite.nn.checkpoint import CheckpointError, atomic_save, read_checkpoint, state_digest


def average(checkpoints: list[dict], weights: list[float]) -> dict:
    """The checkpoint whose floating tensors are the ``weights``-weighted mean of ``checkpoints``' (see module).

    Raises:
        ValueError: the checkpoints differ in network, charset, preprocessing or tensor names and shapes.
    """
    first = checkpoints[0]
    for key in ("model", "charset", "preprocess"):
        if any(ck[key] != first[key] for ck in checkpoints[1:]):
            raise ValueError(f"the checkpoints differ in {key!r}: only checkpoints of one network can be averaged")
    shapes = {name: tuple(t.shape) for name, t in first["state_dict"].items()}
    for ck in checkpoints[1:]:
        if {name: tuple(t.shape) for name, t in ck["state_dict"].items()} != shapes:
            raise ValueError("the checkpoints' tensors differ in names or shapes")
    total = float(sum(weights))
    state = {}
    for name, last in checkpoints[-1]["state_dict"].items():
        if last.is_floating_point():
            mean = sum(w / total * ck["state_dict"][name].float() for w, ck in zip(weights, checkpoints))
            state[name] = mean.to(torch.float32)
        else:
            state[name] = last.clone()
    out = {k: v for k, v in checkpoints[-1].items() if k != "resume"}
    out["state_dict"] = state
    out["state_sha256"] = state_digest(state)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="+", type=Path, help="two or more checkpoints of one network")
    parser.add_argument("--out", type=Path, required=True, help="the averaged checkpoint to write")
    parser.add_argument("--weights", nargs="+", type=float, default=None,
                        help="one non-negative weight per checkpoint (default: equal)")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    args = parser.parse_args(argv)
    if len(args.checkpoints) < 2:
        parser.error("give at least two checkpoints to average")
    weights = args.weights or [1.0] * len(args.checkpoints)
    if len(weights) != len(args.checkpoints) or min(weights) < 0 or sum(weights) <= 0:
        parser.error(f"--weights: give {len(args.checkpoints)} non-negative numbers, not all zero")
    if args.out.exists() and not args.force:
        print(f"average_weights.py: {args.out} exists (pass --force to overwrite)", file=sys.stderr)
        return 2
    if any(args.out.resolve() == p.resolve() for p in args.checkpoints if p.exists()):
        print(f"average_weights.py: --out {args.out} is one of the inputs", file=sys.stderr)
        return 2
    try:
        checkpoints = [read_checkpoint(p) for p in args.checkpoints]
        soup = average(checkpoints, weights)
    except (CheckpointError, ValueError) as err:
        print(f"average_weights.py: {err}", file=sys.stderr)
        return 2
    soup["train"] = {**dict(soup.get("train") or {}),
                     "averaged_from": [[str(p), w] for p, w in zip(args.checkpoints, weights)]}
    atomic_save(soup, args.out)
    print(f"wrote {args.out}: the mean of {len(checkpoints)} checkpoints (weights {weights})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
