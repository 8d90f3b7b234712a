"""``ocrlite synth``: write a synthetic set to disk (images/, labels.tsv, preview.png)."""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ocrlite.recognition.charset import Charset
from ocrlite.recognition.preprocess import resize_to_height
from ocrlite.utils.locks import lock_target, release_target
from ocrlite.utils.progress import Progress
from ocrlite.synth.fonts import FONT_DIR, get_font
from ocrlite.synth.generator import GeneratorConfig, LineGenerator

_worker_state: dict[str, object] = {}


def _init_worker(charset: str, config: GeneratorConfig, seed: int, height: int | None) -> None:
    _worker_state.update(gen=LineGenerator(Charset(charset), config), seed=seed, height=height)


def _make(index: int) -> tuple[int, bytes, tuple[int, int], str, tuple[str, str, str]]:
    gen: LineGenerator = _worker_state["gen"]  # type: ignore[assignment]
    seed = int(_worker_state["seed"])  # type: ignore[arg-type]
    image, label, font = gen.generate_with_font(seed, index)
    height = _worker_state["height"]
    if height:
        image = resize_to_height(image, int(height))  # type: ignore[arg-type]
    return index, image.tobytes(), image.shape, label, (font.family, font.style, font.path.name)


def generate_lines(
    n: int, seed: int, charset: Charset, config: GeneratorConfig, height: int | None, workers: int
) -> Iterator[tuple[int, np.ndarray, str, tuple[str, str, str]]]:
    """Yield ``(index, image, label, (font family, style, file))`` for indices ``0 … n-1`` in order."""
    if workers <= 1:
        _init_worker(charset.chars, config, seed, height)
        for i, data, shape, label, font in map(_make, range(n)):
            yield i, np.frombuffer(data, np.uint8).reshape(shape), label, font
        return
    import cv2

    cv2.setNumThreads(1)  # a multi-threaded OpenCV in the parent deadlocks forked workers
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(workers, _init_worker, (charset.chars, config, seed, height)) as pool:
        for i, data, shape, label, font in pool.imap(_make, range(n), chunksize=64):
            yield i, np.frombuffer(data, np.uint8).reshape(shape), label, font


def contact_sheet(samples: list[tuple[np.ndarray, str]], width: int = 1000, row_height: int = 32) -> Image.Image:
    """Lines (resized to ``row_height``) each above its label, on a grey sheet."""
    font = get_font(str(FONT_DIR / "DejaVuSansMono.ttf"), 13)
    row = row_height + 20
    sheet = Image.new("L", (width, row * len(samples) + 4), 200)
    draw = ImageDraw.Draw(sheet)
    for k, (image, label) in enumerate(samples):
        line = resize_to_height(image, row_height)[:, : width - 8]
        sheet.paste(Image.fromarray(line), (4, k * row + 2))
        draw.text((4, k * row + row_height + 3), label[:130], font=font, fill=0)
    return sheet


def write_synth_set(
    out: Path, n: int, seed: int, charset: Charset, config: GeneratorConfig, height: int | None = 32,
    workers: int = 1, preview_lines: int = 24, fmt: str = "folder",
) -> Path:
    """Write ``out/images/NNNNNNN.png``, ``out/labels.tsv``, ``out/fonts.tsv`` and ``out/preview.png``.

    ``fonts.tsv`` names the font of every line (``image<TAB>family<TAB>style<TAB>file``), so a set
    can be scored per family or per style (``scripts/bench/eval_by_style.py``).

    ``fmt="lmdb"`` writes ``out/data.mdb`` instead of images and labels.tsv, in the layout of the
    deep-text-recognition-benchmark and PaddleOCR (``num-samples``, ``image-%09d`` PNG bytes,
    ``label-%09d``, from 1); ``fonts.tsv`` then names records (``image-000000001``).

    The set is written whole beside ``out`` (``.NAME.partial-PID``) and moved into place when complete:
    an existing ``out`` (the caller checks ``--force``) is replaced in one rename, never mixed with the
    new set, and a run that fails leaves nothing behind that blocks its retry. Two runs cannot write
    the same ``out`` at once (:class:`~ocrlite.utils.locks.FolderBusyError`).
    """
    if fmt not in ("folder", "lmdb"):
        raise ValueError(f"unknown set format {fmt!r}; choose folder or lmdb")
    out = Path(out)
    lock = lock_target(out, "ocrlite synth")  # raises FolderBusyError (a ValueError) if another synth writes it
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if fmt == "lmdb":
            _write_lmdb(staging, n, seed, charset, config, height, workers, preview_lines)
        else:
            _write_folder(staging, n, seed, charset, config, height, workers, preview_lines)
        _move_into_place(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        release_target(out, lock)
    return out


#: What a set folder of either format holds: all of it is replaced by ``--force``, nothing else is touched.
SET_ENTRIES = ("images", "labels.tsv", "fonts.tsv", "preview.png", "data.mdb", "lock.mdb", ".lock",
               ".labels.tsv.tmp", ".fonts.tsv.tmp")


def _move_into_place(staging: Path, out: Path) -> None:
    """Move the finished set in ``staging`` to ``out``.

    A new ``out`` is one rename. Into an existing folder (``--force``), every entry of an old set of
    either format is first set aside, then the new entries are renamed in, then the old ones deleted:
    the folder never holds a mix of two sets, and files of the user's that are not part of a set stay.
    """
    if not out.exists() and not out.is_symlink():
        staging.rename(out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir()
    try:
        for name in SET_ENTRIES:
            if (out / name).exists() or (out / name).is_symlink():
                (out / name).rename(old / name)
        for entry in staging.iterdir():
            entry.rename(out / entry.name)
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _write_folder(out: Path, n: int, seed: int, charset: Charset, config: GeneratorConfig, height: int | None,
                  workers: int, preview_lines: int) -> None:
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    digits = max(7, len(str(n - 1)))
    preview: list[tuple[np.ndarray, str]] = []
    bar = Progress(n, desc="synth", unit="lines")
    tmp_labels, tmp_fonts = out / ".labels.tsv.tmp", out / ".fonts.tsv.tmp"
    with open(tmp_labels, "w", encoding="utf-8", newline="\n") as labels, \
            open(tmp_fonts, "w", encoding="utf-8", newline="\n") as fonts:
        fonts.write("image\tfamily\tstyle\tfile\n")
        for i, image, label, (family, style, file) in generate_lines(n, seed, charset, config, height, workers):
            name = f"images/{i:0{digits}d}.png"
            Image.fromarray(image).save(out / name, compress_level=1)
            labels.write(f"{name}\t{label}\n")
            fonts.write(f"{name}\t{family}\t{style}\t{file}\n")
            if len(preview) < preview_lines:
                preview.append((image, label))
            bar.update()
    bar.close()
    tmp_fonts.replace(out / "fonts.tsv")
    tmp_labels.replace(out / "labels.tsv")
    contact_sheet(preview).save(out / "preview.png")


def _write_lmdb(out: Path, n: int, seed: int, charset: Charset, config: GeneratorConfig, height: int | None,
                workers: int, preview_lines: int) -> None:
    import io

    import lmdb

    preview: list[tuple[np.ndarray, str]] = []
    bar = Progress(n, desc="synth", unit="lines")
    env = lmdb.open(str(out), map_size=max(1 << 30, n * 200_000), subdir=True, meminit=False)
    tmp_fonts = out / ".fonts.tsv.tmp"
    try:
        txn = env.begin(write=True)
        with open(tmp_fonts, "w", encoding="utf-8", newline="\n") as fonts:
            fonts.write("image\tfamily\tstyle\tfile\n")
            for i, image, label, (family, style, file) in generate_lines(n, seed, charset, config, height, workers):
                buf = io.BytesIO()
                Image.fromarray(image).save(buf, format="PNG", compress_level=1)
                txn.put(b"image-%09d" % (i + 1), buf.getvalue())
                txn.put(b"label-%09d" % (i + 1), label.encode("utf-8"))
                fonts.write(f"image-{i + 1:09d}\t{family}\t{style}\t{file}\n")
                if (i + 1) % 1000 == 0:
                    txn.commit()
                    txn = env.begin(write=True)
                if len(preview) < preview_lines:
                    preview.append((image, label))
                bar.update()
        txn.put(b"num-samples", str(n).encode("ascii"))  # last: a set cut short by a crash has none
        txn.commit()
    finally:
        env.close()
    bar.close()
    tmp_fonts.replace(out / "fonts.tsv")
    contact_sheet(preview).save(out / "preview.png")
