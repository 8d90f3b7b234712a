"""Torch eager vs ONNX fp32 vs ONNX int8 (dynamic and dynamic-all), side by side in one run, per shipped model.

    python scripts/bench/bench_engines.py --sets ../shared/data/sroie_dev SYNTH_SET [--weights weights/*.pt] [--limit N]
        [--engines torch fp32 int8 int8-all]

For each checkpoint: export ONNX fp32, int8 dynamic (BiLSTM + output layer) and int8 dynamic-all
(convs too) to a temporary folder — those the chosen engines need — then measure
each chosen engine on each set at 1 and 2 threads: CER and line accuracy (case folded), lines/s at
batch 1 and batch 32 (end to end: model + greedy decoding, prepared images), and file size.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ocrlite.evaluation.bench import load_sets, measure_on_set, torch_threads
from ocrlite.nn.export import export_onnx
from ocrlite.api.onnx_recognizer import OnnxRecognizer
from ocrlite.api.torch_recognizer import Recognizer
from ocrlite.recognition.zoo import shipped_checkpoints

ENGINES = {"torch": "torch eager", "fp32": "onnx fp32", "int8": "onnx int8 dynamic", "int8-all": "onnx int8 dynamic-all"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", nargs="*", default=None)
    parser.add_argument("--sets", nargs="+", required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--engines", nargs="+", choices=list(ENGINES), default=list(ENGINES),
                        help="engines to measure (default: all four)")
    args = parser.parse_args()
    weights = [Path(w) for w in args.weights] if args.weights else shipped_checkpoints()
    print("| model | engine | file (MB) | threads | set | CER | line acc | lines/s b1 | lines/s b32 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in weights:
        with tempfile.TemporaryDirectory() as tmp:
            fp32, int8, int8_all = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx", Path(tmp) / "int8_all.onnx"
            exports = {"fp32": (fp32, None), "int8": (int8, "dynamic"), "int8-all": (int8_all, "dynamic-all")}
            for key, (file, quantisation) in exports.items():
                if key in args.engines:
                    export_onnx(path, file, int8=quantisation)
            torch_rec = Recognizer.load(path)
            sets = load_sets(args.sets, torch_rec.preprocess, args.limit)
            makers = {"torch": (path, torch_threads(torch_rec)),
                      "fp32": (fp32, lambda t: OnnxRecognizer.load(fp32, threads=t)),
                      "int8": (int8, lambda t: OnnxRecognizer.load(int8, threads=t)),
                      "int8-all": (int8_all, lambda t: OnnxRecognizer.load(int8_all, threads=t))}
            for key in args.engines:
                name, (file, make) = ENGINES[key], makers[key]
                for threads in (1, 2):
                    rec = make(threads)
                    for set_name, (images, truths) in sets.items():
                        m = measure_on_set(rec, images, truths)
                        print(f"| {path.stem} | {name} | {file.stat().st_size / 1e6:.1f} | {threads} | {set_name} | "
                              f"{m['cer']:.2%} | {m['accuracy']:.1%} | {m['lines_s_b1']:.0f} | {m['lines_s_b32']:.0f} |",
                              flush=True)


if __name__ == "__main__":
    main()
