"""Turn a run's best.pt into a shipped inference-only checkpoint (fp16 storage, restored to fp32 on load).

    python scripts/ship/ship_weights.py weights/runs/mobilenet/best.pt weights/mobilenet.pt [--onnx [--int8 MODE]]
        [--width-scale X] [--trim-to-text | --no-trim-to-text] [--force]

Keeps the model, charset, preprocessing, validation metrics and training settings; drops
anything else. ``--onnx`` also writes the ONNX export next to it (``ocrlite/models/default.onnx``: what
`ocrlite predict` runs by default when onnxruntime is installed), fp32 or quantised with
``--int8 MODE`` (the modes of ``ocrlite export --int8``). ``--width-scale X`` stores the horizontal
stretch measured by ``scripts/ship/tune_width_scale.py`` in the file's preprocessing settings (default:
keep the source's). Refuses to overwrite an existing file unless --force.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from ocrlite.nn.checkpoint import atomic_save, checkpoint_dict, load_checkpoint, read_checkpoint
from ocrlite.nn.export import INT8_MODES


def portable_train_settings(train: dict | None) -> dict | None:
    """Training settings without paths that mean nothing on a user's machine: a font folder inside
    this repository is stored relative to it (``data/fonts``), the run folder by its name only."""
    if not isinstance(train, dict):
        return train
    out = dict(train)
    root = Path(__file__).resolve().parents[2]
    for key in ("fonts", "out"):
        value = out.get(key)
        if isinstance(value, str) and Path(value).is_absolute():
            try:
                out[key] = str(Path(value).resolve().relative_to(root))
            except ValueError:
                out[key] = Path(value).name if key == "out" else None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source")
    parser.add_argument("dest")
    parser.add_argument("--onnx", action="store_true", help="also write DEST with a .onnx suffix")
    parser.add_argument("--int8", choices=INT8_MODES, default=None, help="quantise the --onnx file (default: fp32)")
    parser.add_argument("--width-scale", type=float, default=None, help="store this preprocessing width_scale")
    parser.add_argument("--trim-to-text", action=argparse.BooleanOptionalAction, default=None,
                        help="store preprocessing trim_to_text on / off")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    if args.int8 and not args.onnx:
        parser.error("--int8 needs --onnx")
    dest = Path(args.dest)
    outputs = [dest, dest.with_suffix(".onnx")] if args.onnx else [dest]
    for path in outputs:
        if path.exists() and not args.force:
            print(f"{path}: exists; pass --force to replace it", file=sys.stderr)
            return 2
    loaded = load_checkpoint(args.source)
    raw = read_checkpoint(args.source)
    preprocess = loaded.preprocess
    if args.width_scale is not None:
        preprocess = dataclasses.replace(preprocess, width_scale=args.width_scale)
    if args.trim_to_text is not None:
        preprocess = dataclasses.replace(preprocess, trim_to_text=args.trim_to_text)
    train = portable_train_settings(raw.get("train"))
    ck = checkpoint_dict(loaded.model, loaded.config, loaded.charset, preprocess,
                         metrics=raw.get("metrics"), train=train, half=True)
    atomic_save(ck, dest)
    if args.onnx:
        from ocrlite.nn.export import export_onnx

        export_onnx(dest, outputs[1], int8=args.int8)  # from the shipped (fp16-stored) file, as predict loads it
    for path in outputs:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
