"""Reading image files safely: every failure becomes an :class:`ImageLoadError` naming the reason.

Never raises anything else for a bad file, never decodes a decompression bomb.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ocrlite.preprocess import to_grayscale

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".pbm", ".pgm", ".ppm", ".pnm"}
)

#: The only decoders ocrlite lets Pillow use: whatever a file is named, its content must be one of
#: these (PPM covers PBM/PGM/PNM). Never EPS/PS (Ghostscript), PDF, ICNS, FITS or the other plugins.
ALLOWED_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "GIF", "WEBP", "PPM")

#: Images with more pixels than this are refused before decoding (a text line needs far fewer).
MAX_PIXELS = 50_000_000


class ImageLoadError(Exception):
    """An image file that cannot be used; ``str(err)`` is the reason, ``err.path`` the file."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(reason)
        self.path = str(path)
        self.reason = reason


def is_image_path(path: Path) -> bool:
    """True when ``path`` has an image file extension (case-insensitive)."""
    return path.suffix.lower() in IMAGE_EXTENSIONS


def load_gray(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as ``(H, W)`` uint8 grayscale (EXIF-upright; first frame of animations).

    ``max_pixels``: larger images are refused before decoding (whole pages pass a larger limit).

    Raises:
        ImageLoadError: missing, a directory, empty, not an image, truncated, or too large.
    """
    return _decode(Path(path), None, max_pixels)


def decode_gray(data: bytes, name: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode image bytes (e.g. an LMDB record) with the same rules as :func:`load_gray`; ``name`` is
    what an error names.

    Raises:
        ImageLoadError: as for :func:`load_gray`.
    """
    return _decode(Path(name), data, max_pixels)


def _decode(path: Path, data: bytes | None, max_pixels: int) -> np.ndarray:
    try:
        if data is None:
            if not path.exists():
                raise ImageLoadError(path, "no such file")
            if path.is_dir():
                raise ImageLoadError(path, "is a directory, not an image file")
            if path.stat().st_size == 0:
                raise ImageLoadError(path, "empty file (0 bytes)")
        elif not data:
            raise ImageLoadError(path, "empty image record (0 bytes)")
        source = path if data is None else io.BytesIO(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on damaged tags: the file is reported or read
            warnings.simplefilter("ignore" if max_pixels > MAX_PIXELS else "error", Image.DecompressionBombWarning)
            with Image.open(source, formats=ALLOWED_FORMATS) as image:
                w, h = image.size
                if w * h > max_pixels:
                    raise ImageLoadError(
                        path, f"image is {w}×{h} px, over the {max_pixels // 1_000_000} MP limit"
                        + (" for a text line" if max_pixels == MAX_PIXELS else "")
                    )
                if w == 0 or h == 0:
                    raise ImageLoadError(path, f"image has no pixels ({w}×{h})")
                image.load()
                return to_grayscale(image)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(
            path, f"not a readable image (not {'/'.join(ALLOWED_FORMATS)}, or corrupt)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageLoadError(path, f"refused as a decompression bomb ({err})") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        msg = str(err) or type(err).__name__
        if "truncated" in msg.lower() or isinstance(err, EOFError):
            raise ImageLoadError(path, f"truncated or corrupt image ({msg})") from None
        raise ImageLoadError(path, f"cannot decode image ({msg})") from None
    except MemoryError:
        raise ImageLoadError(path, "image too large to decode in memory") from None
    except Exception as err:  # noqa: BLE001 - a decoder or EXIF parser bug must not end a batch
        raise ImageLoadError(path, f"cannot decode image ({type(err).__name__}: {err})") from None
