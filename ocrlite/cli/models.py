"""``ocrlite models``: the shipped models by name — what each is for, its backbone, charset, size and speed."""

from __future__ import annotations

import argparse
import json

from ocrlite.cli.common import HelpFormatter


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", formatter_class=HelpFormatter, help="list the shipped models (use them by name)",
                       description="List the models that ship inside the package; pass a name to --weights "
                       "(predict, eval, serve, export), --init (train) or ocrlite.load(NAME).")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=run)


def describe_models() -> list[dict]:
    """One record per shipped model (and the learned page detector and line-turn classifier when they ship)."""
    from ocrlite.detection.onnx_engine import default_detector_path
    from ocrlite.recognition.line_turn import default_line_turn_path
    from ocrlite.recognition.zoo import SHIPPED_MODELS, WEIGHTS_DIR, onnxruntime_available

    rows = []
    for name, meta in SHIPPED_MODELS.items():
        onnx, pt = WEIGHTS_DIR / f"{name}.onnx", WEIGHTS_DIR / f"{name}.pt"
        info: dict = {}
        if onnx.is_file() and onnxruntime_available():
            from ocrlite.recognition.onnx_engine import OnnxLineRecognizer

            rec = OnnxLineRecognizer.load(onnx, threads=1)
            info = {"backbone": rec.model_info.get("backbone"), "charset_size": len(rec.charset.chars),
                    "int8": rec.int8, "height": rec.preprocess.height}
        rows.append({"name": name, "role": meta["role"], **info,
                     "onnx_mb": round(onnx.stat().st_size / 1e6, 1) if onnx.is_file() else None,
                     "pt_mb": round(pt.stat().st_size / 1e6, 1) if pt.is_file() else None,
                     "lines_per_s": meta["lines_per_s"]})
    det = default_detector_path()
    if det.is_file():
        rows.append({"name": "detector", "role": "the learned page line detector (predict --page --detector learned)",
                     "onnx_mb": round(det.stat().st_size / 1e6, 1)})
    turn = default_line_turn_path()
    if turn.is_file():
        rows.append({"name": "line_turn", "role": "is a line upside down? (the page reader turns single lines with it)",
                     "onnx_mb": round(turn.stat().st_size / 1e6, 2)})
    return rows


def run(args: argparse.Namespace) -> int:
    rows = describe_models()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print("name\tbackbone\tcharset\tonnx MB\tpt MB\tlines/s\trole")
    for r in rows:
        print(f"{r['name']}\t{r.get('backbone') or '–'}\t{r.get('charset_size') or '–'}\t{r.get('onnx_mb') or '–'}\t"
              f"{r.get('pt_mb') or '–'}\t{r.get('lines_per_s') or '–'}\t{r['role']}")
    return 0
