"""``ocrlite export``: export a checkpoint to ONNX (fp32 or int8)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ocrlite.cli.common import print_error, HelpFormatter


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a checkpoint to ONNX (dynamic batch and width; charset in the metadata)",
        description="Export a recognizer checkpoint (from `ocrlite train`), a line-detector checkpoint (from "
        "`ocrlite train-detector`) or a line-turn classifier checkpoint (from `ocrlite train-line-turn`), each found by "
        "its format, to ONNX, with everything onnxruntime needs to run it "
        "in the file's metadata.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--weights", default=None, help="checkpoint, or a shipped model by name: default, fast (default: the default model)")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset of the exported graph")
    p.add_argument("--int8", nargs="?", const="dynamic", default=None, choices=["dynamic", "dynamic-all", "static"],
                   help="quantise to int8 (dynamic, the default: int8 weights for the BiLSTM and output layer, convs "
                        "fp32 — smaller and faster on x86; dynamic-all: convs too, smallest but slow on x86; static: "
                        "activations too, calibrated on synthetic lines, measured to lose far more accuracy)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    from ocrlite.nn.checkpoint import CheckpointError
    from ocrlite.nn.export import export_onnx
    from ocrlite.recognition.zoo import NoDefaultWeightsError, default_weights_path, named_or_path

    out = Path(args.out)
    if out.exists() and not args.force:
        print_error(f"{out}: exists; pass --force to overwrite it")
        return 2
    try:
        weights = named_or_path(args.weights, ".pt") if args.weights else default_weights_path()
        if args.weights and Path(args.weights).exists() and out.exists() and os.path.samefile(args.weights, out):
            raise ValueError(f"{out}: is the input checkpoint; choose another --out")
        from ocrlite.nn.line_turn import export_line_turn, is_line_turn_checkpoint

        if is_line_turn_checkpoint(weights):
            if args.int8:
                raise ValueError("--int8: the line-turn classifier is exported in fp32 only (it is ~35 k parameters)")
            export_line_turn(weights, out, args.opset)
        elif _is_detector(weights):
            from ocrlite.nn.detector_export import export_detector

            if args.int8 not in (None, "static"):
                raise ValueError(f"--int8 {args.int8}: a detector is quantised with --int8 static (its convolutions)")
            export_detector(weights, out, args.int8, args.opset)
        else:
            export_onnx(weights, out, args.opset, args.int8)
    except (CheckpointError, NoDefaultWeightsError, ValueError) as err:
        print_error(str(err))
        return 2
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB{', int8 ' + args.int8 if args.int8 else ''})")
    return 0


def _is_detector(path) -> bool:
    """The checkpoint is a line detector's (format ``ocrlite-detector``), not a recognizer's."""
    import torch

    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - the recognizer's loader reports a damaged file in its own words
        return False
    return isinstance(ck, dict) and ck.get("format") == "ocrlite-detector"
