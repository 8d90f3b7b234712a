"""``ocrlite predict --format hocr|alto|pdf``: one document per input (an image, or every chosen page of a PDF).

Where documents go: one input and ``--out FILE`` (or, for hOCR and ALTO, standard output when there is no
``--out``); several inputs, or ``--out`` naming a folder: ``FOLDER/STEM.hocr`` / ``STEM.alto.xml`` /
``STEM.pdf``, repeated stems made unique. Every output is checked before any page is read (never an
input, never two with one name, an existing file only with ``--force``) and written atomically; an input
that cannot be read is reported and the others are still written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ocrlite.cli.common import print_error, tsv_field

#: File suffix of each document format.
SUFFIXES = {"hocr": ".hocr", "alto": ".alto.xml", "pdf": ".pdf"}


def plan_outputs(paths: list[str], fmt: str, out: str | None) -> list[Path | None]:
    """Each input's output file (None: standard output).

    Raises:
        ValueError: ``--format pdf`` without ``--out``, or several inputs with ``--out`` an existing file.
    """
    from ocrlite.utils.outputs import unique_names

    suffix = SUFFIXES[fmt]
    folder = out is not None and (out.endswith(("/", "\\")) or Path(out).is_dir())
    if out is None:
        if fmt == "pdf":
            raise ValueError("--format pdf writes a file: give it with --out FILE.pdf (or --out FOLDER)")
        if len(paths) > 1:
            raise ValueError(f"--format {fmt} with several inputs writes one file each: give a folder with --out")
        return [None]
    if len(paths) == 1 and not folder:
        return [Path(out)]
    if Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"--out {out}: several inputs need a folder for their documents, and this is a file")
    stems = unique_names([_stem(p) for p in paths])
    return [Path(out) / f"{stem}{suffix}" for stem in stems]


def _stem(path: str) -> str:
    name = Path(path).name
    for suffix in (".alto.xml", ".hocr"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


def write_documents(rec, items, args: argparse.Namespace) -> int:
    """Read every input's pages and write its document; the exit status (1 if any input or page failed)."""
    from ocrlite.inputs.images import ImageLoadError
    from ocrlite.inputs.pdf import PdfError, is_pdf, render_pages
    from ocrlite.utils.outputs import OutputError, check_outputs, write_bytes_atomic

    fmt = args.format
    good = [item for item in items if not item.error]
    try:
        targets = plan_outputs([item.path for item in good], fmt, args.out) if good else []
        check_outputs([t for t in targets if t is not None], [item.path for item in items], args.force,
                      extensions=None)
    except (ValueError, OutputError) as err:
        print_error(str(err) if str(err).startswith("--") else f"--out {err}")
        return 2
    if fmt == "pdf":
        try:
            from ocrlite.formats.searchable_pdf import SearchablePdf
        except ImportError:  # pragma: no cover - fpdf2 is a dependency
            print_error("--format pdf needs fpdf2: pip install fpdf2")
            return 2
    failed = 0
    target_of = dict(zip((id(item) for item in good), targets))
    for item in items:
        if item.error:
            print_error(f"{tsv_field(item.path)}: {item.error}")
            failed += 1
            continue
        target = target_of[id(item)]
        document = SearchablePdf() if fmt == "pdf" else None
        results = []
        try:
            if is_pdf(item.path):
                for rendered in render_pages(item.path, args.pages, args.dpi, rec.max_pixels):
                    if rendered.error:
                        print_error(f"{tsv_field(item.path)}: {rendered.error}")
                        failed += 1
                        continue
                    result = rec.read_page(rendered.image, batch_size=args.batch_size)
                    result.page, result.dpi = rendered.number, rendered.dpi
                    results.append(result)
                    if document is not None:
                        document.add_page(result, rendered.image)
            else:
                result = rec.read_page(item.path, batch_size=args.batch_size)
                results.append(result)
                if document is not None:
                    document.add_page(result, page_picture(item.path, result.size, rec.max_pixels))
        except ImageLoadError as err:
            print_error(f"{tsv_field(item.path)}: {err.reason}")
            failed += 1
            continue
        except (PdfError, ValueError) as err:
            print_error(f"{tsv_field(item.path)}: {err}" if isinstance(err, ValueError) else str(err))
            failed += 1
            continue
        if not results:
            print_error(f"{tsv_field(item.path)}: no page could be read; nothing written")
            continue
        for result in results:
            if not result.lines:
                print_error(f"{tsv_field(item.path)}{'' if result.page == 1 and not is_pdf(item.path) else f' page {result.page}'}: "
                            f"no text found (the page is still in the document)")
        data = _render(fmt, results, document, Path(item.path).name)
        try:
            if target is None:
                sys.stdout.write(data.decode("utf-8"))
                sys.stdout.flush()
            else:
                write_bytes_atomic(target, data)
        except OSError as err:
            print_error(f"--out {tsv_field(str(target))}: could not write ({err.strerror or err})")
            failed += 1
    if failed:
        print_error(f"{failed} of the inputs' pages or files failed")
    return 1 if failed else 0


def _render(fmt: str, results: list, document, source: str) -> bytes:
    if fmt == "pdf":
        return document.to_bytes()
    if fmt == "hocr":
        from ocrlite.formats.hocr import to_hocr

        return to_hocr(results, source).encode("utf-8")
    from ocrlite.formats.alto import to_alto

    return to_alto(results, source).encode("utf-8")


def page_picture(path: str, size: tuple[int, int], max_pixels: int):
    """The image file as the page it was read from, in colour when it has colour (EXIF orientation applied),
    for the PDF's page image; the grayscale page when the file decodes to another size.
    """
    from PIL import Image, ImageOps

    from ocrlite.inputs.images import load_gray

    try:
        with Image.open(path) as image:
            if image.width * image.height <= max_pixels and getattr(image, "n_frames", 1) == 1:
                picture = ImageOps.exif_transpose(image)
                picture = picture.convert("RGB" if picture.mode not in ("L", "1", "I", "I;16", "F") else "L")
                if picture.size == tuple(size):
                    return picture
    except (OSError, ValueError, Image.DecompressionBombError):
        pass
    return load_gray(path, max_pixels=max_pixels)
