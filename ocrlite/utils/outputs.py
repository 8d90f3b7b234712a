"""Writing what a command makes without harming what the user has: checked up front, written atomically.

Every output of a run is checked before any work: it must not be one of the run's inputs (same
resolved path or the same file through another link), two outputs of one run never share a name,
an existing file is replaced only with ``--force``, and its format must be one ocrlite can write.
A file is written beside its target and renamed into place, so a failed write (full disk,
read-only folder) leaves any previous file whole and is reported, never claimed as written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

#: Drawing formats (OpenCV encoders that need no optional codec).
DRAW_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class OutputError(ValueError):
    """An output that must not or cannot be written; the message names it."""


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` are one file: equal resolved paths, or (both existing) the same inode."""
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, RuntimeError):
        return False


def check_outputs(outputs: Iterable[Path], inputs: Iterable[str | Path], force: bool,
                  extensions: tuple[str, ...] | None = DRAW_EXTENSIONS) -> None:
    """Refuse, before any work, outputs that would harm an input, collide, or cannot be written.

    Raises:
        OutputError: the first such output, with the reason.
    """
    outs = list(outputs)
    ins = [Path(p) for p in inputs]
    seen: dict[Path, Path] = {}
    for out in outs:
        if extensions is not None and out.suffix.lower() not in extensions:
            raise OutputError(f"{out}: cannot write a {out.suffix or 'suffix-less'} image; use one of "
                              f"{', '.join(extensions)}")
        for source in ins:
            if same_file(out, source):
                raise OutputError(f"{out}: is an input of this run; choose another output name")
        key = Path(os.path.abspath(out))
        if key in seen:
            raise OutputError(f"{out}: two outputs of this run would have this name")
        seen[key] = out
        if out.exists() and not force:
            raise OutputError(f"{out}: exists; pass --force to replace it")
        if out.is_dir():
            raise OutputError(f"{out}: is a folder")


def unique_names(names: list[str]) -> list[str]:
    """``names`` with repeats made unique: ``a``, ``a-2``, ``a-3`` (case-insensitively, for any file system)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        out.append(name if count == 1 else f"{name}-{count}")
    return out


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file beside it and one rename.

    Raises:
        OSError: the folder cannot be created or written, or the disk is full (``target`` is untouched).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def remove_stale_temporaries(folder: Path, names: list[str]) -> list[Path]:
    """Remove the temporary files :func:`write_bytes_atomic` leaves beside ``names`` when killed mid-write
    (``.NAME.XXXX.tmp``); call it only while holding the folder's lock. Returns what was removed."""
    removed = []
    for name in names:
        for stray in Path(folder).glob(f".{name}.*.tmp"):
            try:
                stray.unlink()
                removed.append(stray)
            except OSError:
                pass
    return removed


def write_image(target: Path, image: np.ndarray) -> None:
    """Encode ``image`` (``(H, W)`` or ``(H, W, 3)`` BGR uint8) by ``target``'s suffix and write it atomically.

    The file name never reaches OpenCV (names that are not valid UTF-8 are written as their bytes).

    Raises:
        OutputError: the suffix is not a format ocrlite writes; OSError: the write failed.
    """
    import cv2

    ext = target.suffix.lower()
    if ext not in DRAW_EXTENSIONS:
        raise OutputError(f"{target}: cannot write a {ext or 'suffix-less'} image; use one of {', '.join(DRAW_EXTENSIONS)}")
    ok, encoded = cv2.imencode(".jpg" if ext == ".jpeg" else ext, image)
    if not ok:
        raise OutputError(f"{target}: OpenCV could not encode the image as {ext}")
    write_bytes_atomic(target, encoded.tobytes())


def current_umask() -> int:
    """The process umask (read without changing it for longer than one call)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
