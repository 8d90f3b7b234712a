"""Whole-page reading: ocrlite's line finder + recognizer against Tesseract's page modes.

    python scripts/bench/bench_pages.py --pages ../shared/data/sroie_pages_dev --synthetic 30 [--weights FILE]

Sets: the annotated receipts of ``--pages`` (``images/NNN.jpg`` + ``boxes/NNN.csv``, SROIE
layout) and ``--synthetic`` rendered pages (prose in two columns, tables, receipts; held-out
fonts; skew within ±5°; blur, noise, JPEG). Readers: ``ocrlite`` (``read_page``, the default
model unless ``--weights``) and Tesseract (tesserocr, English model) with ``--psm 3`` (automatic
layout) and ``--psm 6`` (one uniform block), its text lines taken at ``RIL.TEXTLINE``. Every
reader runs on 1 thread, on the same decoded pages, timed per page after one warm-up page.
Scores: see ``ocrlite.pages.scoring`` (case-insensitive).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np  # noqa: E402

from ocrlite.inputs.images import load_gray  # noqa: E402
from ocrlite.pages.scoring import PageScore, quad_box, score_page  # noqa: E402


def annotated_pages(folder: Path) -> list[tuple[str, np.ndarray, list]]:
    pages = []
    for image in sorted((folder / "images").glob("*.jpg")):
        truth = []
        for row in (folder / "boxes" / f"{image.stem}.csv").read_text(encoding="utf-8", errors="replace").splitlines():
            parts = row.split(",", 8)
            if len(parts) == 9:
                xy = np.array(list(map(float, parts[:8]))).reshape(4, 2)
                truth.append((parts[8], quad_box(xy)))
        pages.append((image.name, load_gray(image), truth))
    return pages


def synthetic_pages(n: int, seed: int) -> list[tuple[str, np.ndarray, list]]:
    from ocrlite.synth.pages import LAYOUTS, PageRenderer

    renderer = PageRenderer()
    pages = []
    for i in range(n):
        page = renderer.render(np.random.default_rng([seed, i]), layout=LAYOUTS[i % len(LAYOUTS)])
        pages.append((f"synthetic-{page.layout}-{i}", page.image, [(t, quad_box(q)) for t, q in page.lines]))
    return pages


def ocrlite_reader(weights: str | None):
    from ocrlite.pages.reader import read_page
    from ocrlite.api import load_recognizer

    rec = load_recognizer(weights, threads=1)

    def read(gray: np.ndarray) -> list:
        return [(line.text, line.box.bbox) for line in read_page(rec, gray).lines]
    return read


def tesseract_reader(psm: int):
    import tesserocr  # type: ignore[import-not-found]
    from PIL import Image

    from ocrlite.evaluation.peers import find_tessdata

    api = tesserocr.PyTessBaseAPI(path=find_tessdata(), lang="eng", psm=psm)

    def read(gray: np.ndarray) -> list:
        api.SetImage(Image.fromarray(gray))
        api.Recognize()
        out = []
        it = api.GetIterator()
        level = tesserocr.RIL.TEXTLINE
        if it is not None:
            while True:
                text = it.GetUTF8Text(level) or ""
                box = it.BoundingBox(level)
                if box is not None and text.strip():
                    out.append((text.strip(), tuple(float(v) for v in box)))
                if not it.Next(level):
                    break
        return out
    return read


def run(readers: dict, sets: dict[str, list]) -> list[str]:
    rows = ["| set | reader | pages | lines annotated | precision | recall | page CER (by position) | "
            "page CER (bag of lines) | s/page (1 thread) |", "|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(rows), flush=True)
    for set_name, pages in sets.items():
        for name, read in readers.items():
            read(pages[0][1])  # warm-up
            total, times = PageScore(), []
            for _, gray, truth in pages:
                start = time.perf_counter()
                found = read(gray)
                times.append(time.perf_counter() - start)
                total = total + score_page(truth, found)
            rows.append(f"| {set_name} | {name} | {len(pages)} | {total.annotated} | {total.precision:.1%} | "
                        f"{total.recall:.1%} | {total.position_cer:.2%} | {total.bag_cer:.2%} | "
                        f"{np.mean(times):.3f} |")
            print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=Path("../shared/data/sroie_pages_dev"))
    parser.add_argument("--synthetic", type=int, default=30, help="synthetic pages to render (0: none)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--weights", default=None, help="recognizer (default: the shipped default model)")
    parser.add_argument("--no-tesseract", action="store_true")
    args = parser.parse_args(argv)
    sets = {}
    if args.pages.is_dir():
        sets["sroie_pages_dev"] = annotated_pages(args.pages)
    if args.synthetic:
        sets["synthetic pages"] = synthetic_pages(args.synthetic, args.seed)
    readers = {"ocrlite": ocrlite_reader(args.weights)}
    if not args.no_tesseract:
        try:
            readers["tesseract --psm 3"] = tesseract_reader(3)
            readers["tesseract --psm 6"] = tesseract_reader(6)
        except ImportError:
            print("tesseract: tesserocr not installed; skipped")
    run(readers, sets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
