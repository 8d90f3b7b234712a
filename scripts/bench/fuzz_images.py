"""Fuzz the image loader through every format Pillow can read or write: count uncaught exceptions.

    python scripts/bench/fuzz_images.py [--n 10000] [--seed 0]

Seeds are valid files in every format Pillow writes here (PNG, JPEG, BMP, TIFF, GIF, WebP, PPM/PGM/PBM,
ICO, TGA, PCX, SGI, EPS, PDF, IM, DIB, JPEG 2000, ...), each with and without EXIF where the format
carries it. Every input is a seed mutated (bit flips, byte runs, truncation, splices of two
formats, a header of one format on the body of another, random length fields) and saved under a
random image extension. ``ocrlite.inputs.images.load_gray`` must return an image or raise
``ImageLoadError``: anything else is counted and the first few are printed. The target is 0.
"""

from __future__ import annotations

import argparse
import collections
import io
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

from PIL import Image, ImageDraw, features

from ocrlite.inputs.images import IMAGE_EXTENSIONS, ImageLoadError, load_gray

WRITE_FORMATS = ["PNG", "JPEG", "BMP", "TIFF", "GIF", "WEBP", "PPM", "ICO", "TGA", "PCX", "SGI", "EPS", "PDF", "IM",
                 "DIB", "JPEG2000", "ICNS", "SPIDER", "XBM", "BLP", "DDS", "QOI"]


def seed_files() -> list[tuple[str, bytes]]:
    """Valid encodings of a small text-like image in every writable format (and EXIF variants)."""
    base = Image.new("L", (64, 20), 255)
    ImageDraw.Draw(base).text((2, 4), "fuzz 123", fill=0)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "ocrlite"
    seeds = []
    for fmt in WRITE_FORMATS:
        for mode in ("L", "RGB", "1", "RGBA", "P"):
            for extra in ({}, {"exif": exif.tobytes()}):
                buf = io.BytesIO()
                try:
                    base.convert(mode).save(buf, format=fmt, **extra)
                except Exception:  # noqa: BLE001 - a format that cannot hold this mode/extra
                    continue
                seeds.append((fmt, buf.getvalue()))
    return seeds


def mutate(data: bytes, other: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(7)
        if not data:
            data = bytearray(other[:16])
        if kind == 0:  # bit flips
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
        elif kind == 1:  # a run of one byte
            i = rng.randrange(len(data))
            data[i : i + rng.randint(1, 64)] = bytes([rng.choice([0, 0xFF, 0x7F, 0x80])]) * rng.randint(1, 64)
        elif kind == 2:  # truncation
            data = data[: rng.randrange(len(data))]
        elif kind == 3:  # splice with another format
            cut = rng.randrange(len(data) + 1)
            data = data[:cut] + bytearray(other[rng.randrange(len(other) + 1):])
        elif kind == 4:  # another format's header on this body
            data = bytearray(other[:rng.randint(4, 64)]) + data[rng.randint(0, 64):]
        elif kind == 5:  # a huge or negative 32-bit length/size field somewhere
            i = rng.randrange(max(1, len(data) - 4))
            data[i : i + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x01\x00\x00", b"\x00\x00\x00\x00"])
        else:  # random bytes inserted
            i = rng.randrange(len(data) + 1)
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    return bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    seeds = seed_files()
    extensions = sorted(IMAGE_EXTENSIONS)
    outcomes: collections.Counter[str] = collections.Counter()
    uncaught: list[str] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.n):
            fmt, data = rng.choice(seeds)
            _, other = rng.choice(seeds)
            payload = mutate(data, other, rng) if rng.random() < 0.95 else data
            path = Path(tmp) / f"f{k}{rng.choice(extensions)}"
            path.write_bytes(payload)
            try:
                load_gray(path)
                outcomes["decoded"] += 1
            except ImageLoadError:
                outcomes["ImageLoadError"] += 1
            except Exception as err:  # noqa: BLE001 - exactly what this script counts
                outcomes[f"uncaught {type(err).__name__}"] += 1
                if len(uncaught) < 5:
                    uncaught.append(f"{fmt} -> {path.suffix}: {traceback.format_exc(limit=3)}")
            finally:
                path.unlink()
    elapsed = time.perf_counter() - start
    formats = sorted({f for f, _ in seeds})
    print(f"{args.n} fuzzed files from {len(seeds)} seeds in {len(formats)} formats ({', '.join(formats)}); "
          f"Pillow {Image.__version__}, webp={features.check('webp')}; {elapsed:.0f} s")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {outcome}: {count}")
    bad = sum(c for o, c in outcomes.items() if o.startswith("uncaught"))
    print(f"uncaught exceptions: {bad}")
    for text in uncaught:
        print(text, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
