"""Every bound ocrlite puts on its inputs, in one place (listed in docs/robustness.md).

A bound is checked before the work it protects; going over it is a one-line error naming the
option or file and the limit, never a hang, a crash or a machine out of memory.
"""

from __future__ import annotations

import os
from pathlib import Path

#: ``--threads``: more than this many threads per process only adds start-up cost.
MAX_THREADS = max(64, 4 * (os.cpu_count() or 1))
#: ``--beam-width``: prefix beam search costs time ∝ width; 128 is far past the point of no gain.
MAX_BEAM_WIDTH = 128
#: Lines one batch of the Python API or CLI holds; larger ``batch_size`` values are read in chunks of this.
MAX_BATCH = 256
#: Option files read whole (``--lexicon``, ``--charset``, ``synth --corpus`` / ``--prose``, word lists).
MAX_OPTION_FILE_BYTES = 256 << 20
#: ``--charset`` files: a charset is at most a few thousand characters.
MAX_CHARSET_FILE_BYTES = 1 << 20
#: ``--max-pixels`` / ``max_pixels``: the one limit on an image's pixels, line or page, checked from its header
#: before decoding (a 600-dpi A3 scan is about 70 MP).
MAX_IMAGE_PIXELS = 120_000_000


class InputTooLargeError(ValueError):
    """An input over its bound; the message names it and the limit."""


def read_text_capped(path: str | Path, what: str, limit: int = MAX_OPTION_FILE_BYTES,
                     encoding: str = "utf-8") -> str:
    """Read a regular text file of at most ``limit`` bytes (a device, FIFO or huge file is refused unread).

    Raises:
        FileNotFoundError: no such file. InputTooLargeError: not a regular file, or over ``limit``.
        ValueError: not valid text in ``encoding``, or binary (NUL bytes).
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path}: no such file") from None
    except OSError as err:
        raise ValueError(f"{what} {path}: cannot read ({err.strerror or err})") from None
    if path.is_dir():
        raise ValueError(f"{what} {path}: is a folder, not a file")
    if not path.is_file():
        raise InputTooLargeError(f"{what} {path}: not a regular file (a device or pipe is never read whole)")
    if info.st_size > limit:
        raise InputTooLargeError(f"{what} {path}: {info.st_size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit")
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as err:
        raise ValueError(f"{what} {path}: cannot read ({err.strerror or err})") from None
    if len(data) > limit:
        raise InputTooLargeError(f"{what} {path}: over the {limit / 1e6:.0f} MB limit")
    if b"\x00" in data:
        raise ValueError(f"{what} {path}: binary file, not text")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ValueError(f"{what} {path}: not a UTF-8 text file") from None
