"""``ocrlite bench``: compare backbones, engines and peers on speed and CER."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ocrlite.utils.limits import MAX_THREADS
from ocrlite.cli.common import print_error, at_least, HelpFormatter


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="compare models side by side: size, MACs, latency, lines/s, CER; writes bench.md/.csv/.png",
        description="Measure every shipped model (or --weights, or untrained --backbones) in one run. "
        "Speed: threads fixed per measurement, warm-up first, medians reported.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--weights", nargs="*", default=None, help="checkpoints (default: every shipped model)")
    p.add_argument("--backbones", nargs="*", default=None,
                   help="measure untrained default-size models of these backbones instead (no accuracy)")
    p.add_argument("--sets", nargs="*", default=[], metavar="SET", help="labelled sets to score (case folded)")
    p.add_argument("--threads", type=at_least(1, MAX_THREADS), default=1, help="threads for the per-set measurements")
    p.add_argument("--limit", type=at_least(1), default=None, help="use at most this many lines per set")
    p.add_argument("--engine", nargs="+", choices=["torch", "onnx"], default=None,
                   help="engines to measure for each checkpoint (default: torch and onnx when onnxruntime is "
                   "installed, else torch)")
    p.add_argument("--out", default="bench", help="folder for bench.md, bench.csv, bench.png")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    from ocrlite.evaluation.bench import bench_architectures, bench_checkpoints, bench_peers, write_reports
    from ocrlite.nn.checkpoint import CheckpointError
    from ocrlite.datasets.line_sets import LabelFileError, read_label_set
    from ocrlite.recognition.zoo import WEIGHTS_DIR, onnxruntime_available, shipped_checkpoints

    command = "ocrlite " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["bench"] else "ocrlite bench"
    try:
        if args.backbones is not None:
            rows = bench_architectures(args.backbones)
        else:
            weights = [Path(w) for w in args.weights] if args.weights else shipped_checkpoints()
            if not weights:
                print_error(f"no checkpoints in {WEIGHTS_DIR}; pass --weights FILE ... or --backbones")
                return 2
            engines = args.engine or (["torch", "onnx"] if onnxruntime_available() else ["torch"])
            rows = bench_checkpoints(weights, args.sets, args.threads, args.limit, engines)
            if args.sets:
                sets = {}
                for s in args.sets:
                    lines, _ = read_label_set(s)
                    lines = lines[: args.limit] if args.limit else lines
                    sets[Path(s).name] = (lines, [x.text for x in lines])
                rows += bench_peers(sets)
    except (CheckpointError, LabelFileError, ValueError) as err:
        print_error(str(err))
        return 2
    out = Path(args.out)
    write_reports(rows, out, command, threads=args.threads)
    print((out / "bench.md").read_text(encoding="utf-8"))
    return 0
