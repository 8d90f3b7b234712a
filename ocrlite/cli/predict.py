"""``ocrlite predict``: read line images or whole pages with a model."""

from __future__ import annotations

import argparse
from pathlib import Path

from ocrlite.utils.limits import MAX_THREADS
from ocrlite.cli.common import print_error, display_path, tsv_field, at_least, HelpFormatter, SetupError, load_recognizer_for, add_decoder_options, finish_records


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="read text-line images, or whole pages with --page",
        description="Recognise text-line images, or with --page whole pages (scans, receipts, photos: their lines "
        "are found, turned the right way up and read in order). PATH: an image, a folder of images, or a .txt/.tsv "
        "list whose first column is an image path (# comments and blank lines skipped). Prints "
        "path<TAB>text<TAB>confidence per image in input order (pages: the page's text).",
        formatter_class=HelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="image files, folders of images, or .txt/.tsv lists of image paths")
    p.add_argument("--weights", help="model file (.onnx or .pt) or a shipped model by name: default, fast (`ocrlite models`)")
    p.add_argument("--format", choices=["tsv", "json", "hocr", "alto", "pdf"], default="tsv",
                   help="tsv: path, text, confidence per line (pages: the text); json: also per-character confidences "
                   "and boxes (pages: lines and words); hocr (hOCR 1.2), alto (ALTO v4 XML), pdf (a searchable PDF: "
                   "the page images with an invisible text layer): one document per input, whole pages (implies --page)")
    p.add_argument("--out", default=None, metavar="PATH",
                   help="with --format hocr|alto|pdf: the document to write (several inputs: a folder, one "
                   "STEM.hocr / STEM.alto.xml / STEM.pdf each); hocr and alto go to standard output without it")
    p.add_argument("--batch-size", type=at_least(1), default=32, help="lines read together (the text is the same at any size)")
    p.add_argument("--threads", type=at_least(1, MAX_THREADS), default=None, help="CPU threads (default: the engine's choice)")
    p.add_argument("--page", action="store_true",
                   help="each image is a whole page (scan, receipt, screenshot): find its lines, then read them; "
                   "prints the page's text in reading order (--format json: every line's box and confidences)")
    p.add_argument("--detector", choices=["auto", "learned", "classic"], default="auto",
                   help="with --page: how lines are found — learned (a DB detector: any background, any rotation), "
                   "classic (binarise and cut: white scans), auto (the learned one when it ships)")
    p.add_argument("--draw", default=None, metavar="OUT.png",
                   help="with --page: write the page with numbered line boxes (several pages: OUT is a folder)")
    p.add_argument("--force", action="store_true", help="let --draw replace existing files")
    p.add_argument("--pages", default=None, metavar="RANGES",
                   help="with --page and PDF inputs: the pages to read, e.g. 1-3,7 (default: all)")
    p.add_argument("--dpi", type=float, default=300, help="with --page: the resolution PDF pages are rendered at")
    p.add_argument("--max-pixels", type=at_least(1), default=None, metavar="N",
                   help="refuse images (lines or pages) with more pixels than this, before decoding (default: 120 MP)")
    add_decoder_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ocrlite.inputs.lists import expand_inputs

    if args.batch_size < 1:
        print_error(f"--batch-size must be ≥ 1, got {args.batch_size}")
        return 2
    documents = args.format in ("hocr", "alto", "pdf")
    if documents:
        args.page = True
        if args.draw:
            print_error(f"--draw draws the boxes of a page read as text or JSON; --format {args.format} writes its own document")
            return 2
    elif args.out:
        print_error("--out writes a document: use it with --format hocr, alto or pdf (tsv and json print to standard output)")
        return 2
    if args.draw and not args.page:
        print_error("--draw needs --page (it draws the line boxes found on a page)")
        return 2
    try:
        rec = load_recognizer_for(args)
    except SetupError as err:
        print_error(str(err))
        return 2
    if args.max_pixels:
        rec.max_pixels = args.max_pixels
    items = expand_inputs(args.paths)
    if args.page:
        from ocrlite.pages.reader import resolve_detector

        try:
            rec.detector = resolve_detector(args.detector)
        except ValueError as err:
            print_error(f"--detector: {err}")
            return 2
        if documents:
            from ocrlite.cli.documents import write_documents

            return write_documents(rec, items, args)
        return _predict_pages(rec, items, args)
    from ocrlite.inputs.pdf import is_pdf

    for item in items:
        if not item.error and is_pdf(item.path):
            item.error = "a PDF document: read its pages with --page"
    failed = 0
    records = []
    bad = {i for i, it in enumerate(items) if it.error}
    paths = [it.path for i, it in enumerate(items) if i not in bad]
    results = iter(rec.predict_paths(paths, batch_size=args.batch_size))
    for i, item in enumerate(items):
        if item.error:
            print_error(f"{tsv_field(item.path)}: {item.error}")
            failed += 1
            continue
        r = next(results)
        if r.error:
            print_error(f"{tsv_field(r.path)}: {r.error}")
            failed += 1
            continue
        pred = r.prediction
        assert pred is not None
        if args.format == "tsv":
            print(f"{tsv_field(r.path)}\t{pred.text}\t{pred.confidence:.4f}", flush=False)
        else:
            records.append(
                {"path": display_path(r.path), "text": pred.text, "confidence": round(pred.confidence, 4),
                 "char_confidences": [round(c, 4) for c in pred.char_confidences]}
            )
    return finish_records(records if args.format == "json" else None, failed, len(items), "inputs")


def _draw_targets(draw: str, paths: list[str], several: bool) -> list[Path]:
    """One drawing per page: ``DRAW`` itself, or ``DRAW/STEM.boxes.png`` with repeated stems made unique."""
    from ocrlite.utils.outputs import unique_names

    if not several:
        return [Path(draw)]
    return [Path(draw) / f"{stem}.boxes.png" for stem in unique_names([Path(p).stem for p in paths])]


def _predict_pages(rec, items, args: argparse.Namespace) -> int:
    """``predict --page``: one page per input image; text (or JSON) in input order; bad pages reported, others read."""
    from ocrlite.inputs.images import ImageLoadError
    from ocrlite.utils.outputs import OutputError, check_outputs, write_image
    from ocrlite.pages.reader import draw_page

    several = len(items) > 1
    targets: list[Path] = []
    if args.draw:
        if several and Path(args.draw).exists() and not Path(args.draw).is_dir():
            print_error(f"--draw {args.draw}: several pages need a folder for their drawings, and this is a file")
            return 2
        targets = _draw_targets(args.draw, [item.path for item in items], several)
        try:  # before any page is read: never onto an input, no two drawings with one name, a format we write
            check_outputs(targets, [item.path for item in items], args.force)
        except OutputError as err:
            print_error(f"--draw {err}")
            return 2
    from ocrlite.inputs.pdf import PdfError, is_pdf, render_pages

    pdfs = {k for k, item in enumerate(items) if not item.error and is_pdf(item.path)}
    if args.draw and pdfs:
        print_error(f"--draw: {tsv_field(items[min(pdfs)].path)} is a PDF; --draw draws image pages "
                    f"(--format pdf gives a PDF back)")
        return 2
    failed, records, shown = 0, [], 0

    def emit(item_path: str, result, page: int | None, target: Path | None) -> None:
        nonlocal failed, shown
        where = tsv_field(item_path) + (f" page {page}" if page is not None else "")
        if not result.lines:  # a page with no text is a failure of that page (exit 1), not silently empty
            why = (f"{result.lines_found} line(s) found, but none reads as text (a picture, a script the model "
                   f"does not read, or --allow / --block leave nothing)" if result.lines_found else "no text lines found")
            print_error(f"{where}: {why}")
            failed += 1
        if target is not None:
            try:
                write_image(target, draw_page(rec_gray(item_path, rec.max_pixels), result))
            except (OutputError, OSError, ImageLoadError) as err:
                reason = err.strerror if isinstance(err, OSError) and err.strerror else err
                print_error(f"--draw {tsv_field(str(target))}: could not write the drawing ({reason})")
                failed += 1
        if args.format == "json":
            records.append({"path": display_path(item_path), **({"page": page} if page is not None else {}),
                            "skew_degrees": round(result.skew, 2), "rotated_180": result.rotated_180,
                            "rotation": result.rotation, "detector": result.detector, "no_text": not result.lines,
                            "lines": [line.to_dict() for line in result.lines]})
        else:
            if several or page is not None:
                print(f"{'' if shown == 0 else chr(10)}# {where}")
            for line in result.lines:
                print(line.text)
        shown += 1

    for k, item in enumerate(items):
        if item.error:
            print_error(f"{tsv_field(item.path)}: {item.error}")
            failed += 1
            continue
        if k in pdfs:
            try:
                pages = render_pages(item.path, args.pages, args.dpi, rec.max_pixels)
                for pdf_page in pages:
                    if pdf_page.error:
                        print_error(f"{tsv_field(item.path)}: {pdf_page.error}")
                        failed += 1
                        continue
                    emit(item.path, rec.read_page(pdf_page.image, batch_size=args.batch_size), pdf_page.number, None)
            except (PdfError, ValueError) as err:
                print_error(f"{tsv_field(item.path)}: {err}" if isinstance(err, ValueError) else str(err))
                failed += 1
            continue
        try:
            result = rec.read_page(item.path, batch_size=args.batch_size)
        except ImageLoadError as err:
            print_error(f"{tsv_field(item.path)}: {err.reason}")
            failed += 1
            continue
        except ValueError as err:
            print_error(f"{tsv_field(item.path)}: {err}")
            failed += 1
            continue
        emit(item.path, result, None, targets[k] if args.draw else None)
    return finish_records(records if args.format == "json" else None, failed, len(items), "pages")


def rec_gray(path: str, max_pixels: int):
    """The page as read for drawing (same loader and limit as ``read_page``)."""
    from ocrlite.inputs.images import load_gray

    return load_gray(path, max_pixels=max_pixels)
