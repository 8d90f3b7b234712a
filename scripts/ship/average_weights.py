"""Average the weights of checkpoints from one training run (a "checkpoint soup"):

    python scripts/ship/average_weights.py A.pt B.pt [C.pt ...] --out soup.pt [--weights 0.5 0.5] [--force]
    python scripts/ship/average_weights.py A.pt B.pt --out mix.pt --layer-weights backbone=0.2 neck=0.7 head=0.7

Every checkpoint must hold the same network, charset and preprocessing (checkpoints of one run, or a
fine-tune and the checkpoint it started from); floating tensors — weights and batch-norm statistics — are
averaged with ``--weights`` (default: equal), integer tensors (batch-norm step counters) are taken from the
last file. The result is an ordinary checkpoint (its ``train`` and ``metrics`` from the last file, with the
sources recorded under ``train["averaged_from"]``): evaluate it and ship it like any other
(``scripts/ship/ship_gate.sh``, ``scripts/ship/ship_weights.py``). Averaging points of one trajectory lands
between them in weight space, usually no worse than either on what both read well — it is a candidate,
not a result: the gate decides.

``--layer-weights PREFIX=W`` (two checkpoints only) gives every tensor whose name starts with PREFIX its
own share W of the second checkpoint (the longest matching prefix wins; other tensors follow
``--weights``). A fine-tune that taught the sequence head a new prior (rare letters) while its convolutions
drifted from a domain the first checkpoint read well (real receipts) can keep the head's change and little of
the backbone's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ocrlite.nn.checkpoint import CheckpointError, atomic_save, read_checkpoint, state_digest


def _weights_for(name: str, weights: list[float], layer_weights: dict[str, float]) -> list[float]:
    """The weights of one tensor: ``[1 - w, w]`` for the longest prefix of ``layer_weights`` it starts with."""
    matches = [prefix for prefix in layer_weights if name.startswith(prefix)]
    if not matches:
        return weights
    share = layer_weights[max(matches, key=len)]
    return [1.0 - share, share]


def average(checkpoints: list[dict], weights: list[float], layer_weights: dict[str, float] | None = None) -> dict:
    """The checkpoint whose floating tensors are the ``weights``-weighted mean of ``checkpoints``' (see module).

    Args:
        checkpoints: checkpoints of one network.
        weights: one non-negative weight per checkpoint.
        layer_weights: tensor-name prefix → share of the second of exactly two checkpoints, in [0, 1].

    Raises:
        ValueError: the checkpoints differ in network, charset, preprocessing or tensor names and shapes; a
            layer prefix matches no tensor, or layer weights are given for other than two checkpoints.
    """
    layer_weights = dict(layer_weights or {})
    if layer_weights and len(checkpoints) != 2:
        raise ValueError("layer weights need exactly two checkpoints")
    first = checkpoints[0]
    for key in ("model", "charset", "preprocess"):
        if any(ck[key] != first[key] for ck in checkpoints[1:]):
            raise ValueError(f"the checkpoints differ in {key!r}: only checkpoints of one network can be averaged")
    shapes = {name: tuple(t.shape) for name, t in first["state_dict"].items()}
    for ck in checkpoints[1:]:
        if {name: tuple(t.shape) for name, t in ck["state_dict"].items()} != shapes:
            raise ValueError("the checkpoints' tensors differ in names or shapes")
    unmatched = [p for p in layer_weights if not any(name.startswith(p) for name in shapes)]
    if unmatched:
        heads = sorted({".".join(name.split(".")[:2]) for name in shapes})
        raise ValueError(f"layer prefix {unmatched[0]!r} matches no tensor; prefixes in this network: {', '.join(heads)}")
    state = {}
    for name, last in checkpoints[-1]["state_dict"].items():
        if last.is_floating_point():
            tensor_weights = _weights_for(name, weights, layer_weights)
            total = float(sum(tensor_weights))
            mean = sum(w / total * ck["state_dict"][name].float() for w, ck in zip(tensor_weights, checkpoints))
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
    parser.add_argument("--layer-weights", nargs="+", default=[], metavar="PREFIX=W",
                        help="with two checkpoints: the second's share W (0-1) in the tensors whose names start "
                             "with PREFIX (e.g. backbone=0.2 neck=0.7 head=0.7)")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    args = parser.parse_args(argv)
    if len(args.checkpoints) < 2:
        parser.error("give at least two checkpoints to average")
    weights = args.weights or [1.0] * len(args.checkpoints)
    if len(weights) != len(args.checkpoints) or min(weights) < 0 or sum(weights) <= 0:
        parser.error(f"--weights: give {len(args.checkpoints)} non-negative numbers, not all zero")
    layer_weights: dict[str, float] = {}
    for item in args.layer_weights:
        prefix, _, value = item.partition("=")
        try:
            share = float(value)
        except ValueError:
            share = float("nan")
        if not prefix or not 0.0 <= share <= 1.0:
            parser.error(f"--layer-weights {item!r}: write PREFIX=W with W between 0 and 1 (e.g. backbone=0.2)")
        layer_weights[prefix] = share
    if layer_weights and len(args.checkpoints) != 2:
        parser.error("--layer-weights: give exactly two checkpoints")
    if args.out.exists() and not args.force:
        print(f"average_weights.py: {args.out} exists (pass --force to overwrite)", file=sys.stderr)
        return 2
    if any(args.out.resolve() == p.resolve() for p in args.checkpoints if p.exists()):
        print(f"average_weights.py: --out {args.out} is one of the inputs", file=sys.stderr)
        return 2
    try:
        checkpoints = [read_checkpoint(p) for p in args.checkpoints]
        soup = average(checkpoints, weights, layer_weights)
    except (CheckpointError, ValueError) as err:
        print(f"average_weights.py: {err}", file=sys.stderr)
        return 2
    soup["train"] = {**dict(soup.get("train") or {}),
                     "averaged_from": [[str(p), w] for p, w in zip(args.checkpoints, weights)]}
    if layer_weights:
        soup["train"]["layer_weights"] = layer_weights
    atomic_save(soup, args.out)
    layers = f", layers {layer_weights}" if layer_weights else ""
    print(f"wrote {args.out}: the mean of {len(checkpoints)} checkpoints (weights {weights}{layers})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
