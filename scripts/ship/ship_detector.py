"""Ship a trained line detector: tune its box decoding on training-side pages, export it to int8 ONNX, and
check that int8 costs no accuracy. Run it when a detector run has finished, before the page bench.

    python scripts/ship/ship_detector.py weights/runs/detector/best.pt --pages SROIE_PAGES_TRAIN \\
        --out ocrlite/models/detector.onnx

Tuning pages: the first ``--tune`` pages of ``--pages`` (a *training* set: the measuring set is never used
here) and as many synthetic scenes in the held-out fonts. The grid: map threshold × box threshold × unclip
ratio × the two-pass decision (``small_text``: how small the first pass's boxes may be before the page is
read again closer, what a phone photo of a page needs; :class:`~ocrlite.detection.postprocess.DetectorSettings`),
scored by detection H-mean (IoU 0.5) summed over both halves through the full one- or two-pass detection; each
page's probability map at each size is computed once. The chosen settings are stored in the ONNX file's
metadata. Then the fp32 and int8 files are compared on the same tuning pages (H-mean and median seconds per
page, 1 thread); int8 ships unless it loses more than 0.5 points of H-mean, else fp32 does.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from ocrlite.datasets.page_sets import read_page_set
from ocrlite.detection.onnx_engine import OnnxLineDetector
from ocrlite.detection.postprocess import DetectorSettings, detect_boxes
from ocrlite.nn.checkpoint import atomic_save
from ocrlite.nn.detector import load_detector
from ocrlite.nn.detector_export import export_detector
from ocrlite.pages.scoring import DetectionScore, score_detection
from ocrlite.training.detector_trainer import validation_pages

#: The decoding grid: map threshold × box threshold × unclip ratio × the smallest first-pass box height (input
#: pixels) read without a second, closer pass (``small_text``: what a phone photo's few-pixel text needs).
GRID = {"threshold": (0.2, 0.3, 0.4, 0.5), "box_threshold": (0.5, 0.6, 0.7), "unclip": (0.55, 0.7, 0.85, 1.0),
        "small_text": (12.0, 16.0, 20.0)}


def tuning_pages(pages_dir: Path, n: int) -> list[tuple[np.ndarray, list[np.ndarray], list[bool]]]:
    real = [(p.load(), [ln.corners for ln in p.lines], [ln.ignore for ln in p.lines])
            for p in read_page_set(pages_dir).pages[:n]]
    synthetic = [(image, polys, [False] * len(polys)) for image, polys in validation_pages(n)]
    return real + synthetic


def tune_decoding(model: torch.nn.Module, pages: list, base: DetectorSettings) -> DetectorSettings:
    """The :data:`GRID` point that detects the tuning ``pages`` best (H-mean, IoU 0.5), each scored through the
    full one- or two-pass detection (:func:`~ocrlite.detection.postprocess.detect_boxes`); each page's map at
    each input is computed once (two scales can pad to one input size: the key holds a sample of its pixels)."""
    cache: dict[tuple[int, tuple[int, ...], bytes], np.ndarray] = {}

    def network(index: int):
        def probability(x: np.ndarray) -> np.ndarray:
            key = (index, x.shape, x[0, 0, ::7, ::7].tobytes())
            if key not in cache:
                with torch.inference_mode():
                    cache[key] = model(torch.from_numpy(x))[0, 0].numpy()
            return cache[key]
        return probability

    best, best_h = base, -1.0
    for values in itertools.product(*GRID.values()):
        settings = replace(base, **dict(zip(GRID, values)))
        total = DetectionScore()
        for index, (image, polys, ignore) in enumerate(pages):
            boxes, _ = detect_boxes(network(index), image, settings)
            total = total + score_detection(polys, boxes, ignore)
        print(f"{values}: P {total.precision:.3f} R {total.recall:.3f} H {total.hmean:.4f}", flush=True)
        if total.hmean > best_h + 1e-9:
            best, best_h = settings, total.hmean
    print(f"chosen: threshold {best.threshold}, box_threshold {best.box_threshold}, unclip {best.unclip}, "
          f"small_text {best.small_text} (H-mean {best_h:.4f} on {len(pages)} tuning pages)")
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="the run's best.pt")
    parser.add_argument("--pages", type=Path, required=True, help="a training page set (never the measuring one)")
    parser.add_argument("--tune", type=int, default=40, help="pages of --pages, and as many synthetic scenes")
    parser.add_argument("--out", type=Path, required=True, help="the ONNX file to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model, stored, ck = load_detector(args.checkpoint)
    base = DetectorSettings(**{k: v for k, v in stored.items() if k in DetectorSettings.__dataclass_fields__})
    pages = tuning_pages(args.pages, args.tune)
    best = tune_decoding(model, pages, base)
    with tempfile.TemporaryDirectory() as tmp:
        tuned = Path(tmp) / "tuned.pt"
        atomic_save({**ck, "settings": asdict(best)}, tuned)
        results = {}
        for mode in (None, "static"):
            target = Path(tmp) / f"{mode or 'fp32'}.onnx"
            export_detector(tuned, target, int8=mode)
            det = OnnxLineDetector.load(target, threads=1)
            det.detect(pages[0][0])
            total, times = DetectionScore(), []
            for image, polys, ignore in pages:
                start = time.perf_counter()
                boxes, _ = det.detect(image)
                times.append(time.perf_counter() - start)
                total = total + score_detection(polys, boxes, ignore)
            results[mode] = (target, total.hmean, float(np.median(times)), target.stat().st_size)
            print(f"{mode or 'fp32'}: H-mean {total.hmean:.4f}, median {np.median(times):.3f} s/page, "
                  f"{target.stat().st_size / 1e6:.2f} MB", flush=True)
        chosen = "static" if results["static"][1] >= results[None][1] - 0.005 else None
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(results[chosen][0].read_bytes())
    print(f"wrote {args.out} ({'int8 static' if chosen else 'fp32'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
