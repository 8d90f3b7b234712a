"""OCRmyPDF with ocrlite against OCRmyPDF with its default Tesseract engine, on the same PDFs, in one run.

    python scripts/bench/bench_ocrmypdf.py --receipts SROIE_PAGES_DEV --documents 20 --out docs/ocrmypdf_bench.md

Sets (each made into one multi-page PDF of page images, as a scanner writes them):
- ``receipts``: the real receipt scans of ``--receipts`` (the page-set layout: ``images/`` + ``boxes/``,
  the annotated lines are the truth), embedded at 300 dpi.
- ``documents``: ``--documents`` synthetic pages in the held-out fonts (prose in columns, tables, receipts;
  skew ±5°, scan damage), embedded at 150 dpi; their drawn text is the truth.

Each engine runs ``ocrmypdf --output-type pdf --jobs J`` (``--deskew`` too: both engines level the page
first) with ``OMP_THREAD_LIMIT=1``; the time is the whole command's wall time over the pages. The text layer
is read back with ``pdftotext`` (poppler), page by page, and scored against the truth as words, case folded,
order-free (multiset precision / recall / F1: the text layer's reading order is the renderer's, not the
engine's). Needs ``ocrmypdf`` (the ``[ocrmypdf]`` extra), ``tesseract`` with its ``eng`` data, and ``pdftotext``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image


def receipts_pdf(folder: Path, out: Path, limit: int | None) -> list[str]:
    """The receipts of a page set as one PDF; returns each page's true text."""
    from ocrlite.datasets.page_sets import read_page_set

    pages = list(read_page_set(str(folder)).pages)[:limit]
    images, truth = [], []
    for page in pages:
        images.append(Image.fromarray(page.load()))
        truth.append("\n".join(line.text for line in page.lines if not line.ignore))
    images[0].save(out, save_all=True, append_images=images[1:], resolution=300)
    return truth


def documents_pdf(count: int, out: Path, seed: int) -> list[str]:
    from ocrlite.synth.pages import LAYOUTS, PageRenderer

    renderer = PageRenderer()
    pages = [renderer.render(np.random.default_rng(seed + k), layout=LAYOUTS[k % len(LAYOUTS)]) for k in range(count)]
    images = [Image.fromarray(p.image) for p in pages]
    images[0].save(out, save_all=True, append_images=images[1:], resolution=150)
    return ["\n".join(text for text, _ in p.lines) for p in pages]


def run_ocrmypdf(engine: str, source: Path, out: Path, jobs: int) -> float:
    """Seconds of wall time for one OCRmyPDF run."""
    command = [sys.executable, "-m", "ocrmypdf", "--output-type", "pdf", "--deskew", "--jobs", str(jobs), "--force-ocr",
               "--ocr-engine", "tesseract" if engine == "tesseract" else "auto", str(source), str(out)]
    if engine == "tesseract":
        command[5:5] = ["-l", "eng"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"ocrmypdf ({engine}) failed:\n{run.stderr[-3000:]}")
    return elapsed


def layer_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def word_scores(truth: list[str], found: list[str]) -> tuple[float, float, float]:
    """Multiset word precision, recall and F1 over all pages, case folded."""
    hits = true_total = found_total = 0
    for t, f in zip(truth, found):
        tw, fw = Counter(t.upper().split()), Counter(f.upper().split())
        hits += sum((tw & fw).values())
        true_total += sum(tw.values())
        found_total += sum(fw.values())
    p, r = hits / max(found_total, 1), hits / max(true_total, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=Path, help="a page set of receipt scans (images/ + boxes/)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many receipts")
    parser.add_argument("--documents", type=int, default=20, help="synthetic document pages")
    parser.add_argument("--seed", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=1, help="OCRmyPDF's page workers")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here (markdown)")
    args = parser.parse_args()
    for program in ("tesseract", "pdftotext"):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is not installed (Debian: tesseract-ocr tesseract-ocr-eng, poppler-utils)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sets = []
        if args.receipts:
            sets.append(("receipts (real scans)", receipts_pdf(args.receipts, Path(tmp) / "receipts.pdf", args.limit),
                         Path(tmp) / "receipts.pdf"))
        if args.documents:
            sets.append(("documents (synthetic, held-out fonts)",
                         documents_pdf(args.documents, Path(tmp) / "documents.pdf", args.seed), Path(tmp) / "documents.pdf"))
        for name, truth, source in sets:
            for engine in ("ocrlite", "tesseract"):
                out = Path(tmp) / f"{source.stem}.{engine}.pdf"
                seconds = run_ocrmypdf(engine, source, out, args.jobs)
                found = [layer_text(out, k + 1) for k in range(len(truth))]
                p, r, f1 = word_scores(truth, found)
                rows.append((name, engine, len(truth), seconds / len(truth), p, r, f1))
                print(f"{name}: {engine} {seconds / len(truth):.2f} s/page, words P {p:.1%} R {r:.1%} F1 {f1:.1%}",
                      flush=True)
    lines = [f"`python scripts/bench/bench_ocrmypdf.py{' --receipts ' + str(args.receipts) if args.receipts else ''}{f' --limit {args.limit}' if args.limit else ''} "
             f"--documents {args.documents} --jobs {args.jobs}`", "",
             "| set | engine | pages | s/page | word precision | word recall | word F1 |", "|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {n} | {e} | {k} | {s:.2f} | {p:.1%} | {r:.1%} | {f:.1%} |" for n, e, k, s, p, r, f in rows]
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
