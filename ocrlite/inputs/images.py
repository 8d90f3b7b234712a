"""Reading image files safely: every failure becomes an :class:`ImageLoadError` naming the reason.

Never raises anything else for a bad file, never decodes a decompression bomb.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ocrlite.utils.limits import MAX_IMAGE_PIXELS


IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".pbm", ".pgm", ".ppm", ".pnm"}
)

#: The only decoders ocrlite lets Pillow use: whatever a file is named, its content must be one of
#: these (PPM covers PBM/PGM/PNM). Never EPS/PS (Ghostscript), PDF, ICNS, FITS or the other plugins.
ALLOWED_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "GIF", "WEBP", "PPM")

#: Images with more pixels than this are refused before decoding, lines and pages alike (``--max-pixels``).
MAX_PIXELS = MAX_IMAGE_PIXELS


def _jpeg_scans(path: Path | None, data: bytes | None) -> int:
    """Start-of-scan markers (FF DA) in a JPEG's bytes: an upper bound on its scans, counted without decoding."""
    if data is None:
        data = path.read_bytes()
    return data.count(b"\xff\xda")


def too_many_pixels(pixels: int, limit: int, size: str) -> str:
    """The one message for an image over the pixel limit, in line and page mode alike."""
    return f"image is {size}, over the {limit / 1e6:g} MP limit (--max-pixels / max_pixels raises it)"


def to_grayscale(image: Image.Image) -> np.ndarray:
    """Any PIL image → ``(H, W)`` uint8 grayscale, EXIF-upright, transparency over white.

    Handles L, 1, P (with or without transparency), RGB, RGBA, LA, CMYK, YCbCr, I;16, I and F;
    animated images give their current (first) frame.
    """
    image = ImageOps.exif_transpose(image) or image
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        if mode.startswith("I;16") and hi > 255 or mode in ("I", "F") and (hi > 255 or lo < 0):
            # Stretch to 8 bits: 16-bit scans use a fraction of their range.
            arr = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        return np.clip(arr, 0, 255).astype(np.uint8)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode != "L":
        image = image.convert("RGB").convert("L") if image.mode not in ("1", "RGB") else image.convert("L")
    return np.asarray(image, dtype=np.uint8)


class ImageFramesWarning(UserWarning):
    """An image file with several frames or pages: only the first is read."""


#: What went wrong with an image, for callers that answer differently (``ocrlite serve``'s status codes).
LOAD_ERROR_KINDS = ("missing", "empty", "format", "corrupt", "too_large")


class ImageLoadError(Exception):
    """An image file that cannot be used; ``str(err)`` is the reason, ``err.path`` the file, ``err.kind``
    one of :data:`LOAD_ERROR_KINDS` (missing / empty / not an allowed format / corrupt / over a size limit)."""

    def __init__(self, path: str | Path, reason: str, kind: str = "corrupt") -> None:
        super().__init__(reason)
        self.path = str(path)
        self.reason = reason
        self.kind = kind

    def naming_the_file(self) -> ImageLoadError:
        """The same error with ``str(err)`` = ``"PATH: reason"`` (the Python API's errors say which file)."""
        named = ImageLoadError(self.path, self.reason, self.kind)
        named.args = (f"{self.path}: {self.reason}",)
        return named


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
                raise ImageLoadError(path, "no such file", "missing")
            if path.is_dir():
                raise ImageLoadError(path, "is a directory, not an image file", "missing")
            if path.stat().st_size == 0:
                raise ImageLoadError(path, "empty file (0 bytes)", "empty")
        elif not data:
            raise ImageLoadError(path, "empty image record (0 bytes)", "empty")
        source = path if data is None else io.BytesIO(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on damaged tags: the file is reported or read
            warnings.simplefilter("always", ImageFramesWarning)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is checked below
            with Image.open(source, formats=ALLOWED_FORMATS) as image:
                w, h = image.size
                if w * h > max_pixels:
                    raise ImageLoadError(path, too_many_pixels(w * h, max_pixels, f"{w}×{h} px"), "too_large")
                if w == 0 or h == 0:
                    raise ImageLoadError(path, f"image has no pixels ({w}×{h})", "empty")
                if max(w, h) > MAX_ASPECT * min(w, h):
                    raise ImageLoadError(path, f"image is {w}×{h} px: thinner than 1:{MAX_ASPECT}, neither a text "
                                         f"line nor a page", "too_large")
                if image.format == "JPEG":
                    scans = _jpeg_scans(path if data is None else None, data)
                    if scans > MAX_JPEG_SCANS:
                        raise ImageLoadError(path, f"JPEG has {scans} scans, over the {MAX_JPEG_SCANS} a photo or scan "
                                             f"has (each costs a decode of the whole image)", "too_large")
                # Whether there is a second frame, not how many: counting walks every frame (a TIFF chain of
                # 100,000 IFDs took 38 s only to count).
                if getattr(image, "is_animated", False):
                    warnings.warn(ImageFramesWarning(f"{path}: has several frames (an animation or a multi-page "
                                                     f"file); only the first is read"))
                image.load()
                return to_grayscale(image)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError(
            path, f"not a readable image (not {'/'.join(ALLOWED_FORMATS)}, or corrupt)", "format") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:  # past Pillow's own hard cap
        found = re.search(r"\((\d+) pixels\)", str(err))
        pixels = int(found.group(1)) if found else 0
        if pixels and pixels > max_pixels:
            raise ImageLoadError(path, too_many_pixels(pixels, max_pixels, f"{pixels / 1e6:.0f} MP"), "too_large") from None
        raise ImageLoadError(path, f"image is {pixels / 1e6:.0f} MP, more than the image library decodes "
                             f"({2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} MP)", "too_large") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        msg = str(err) or type(err).__name__
        if "truncated" in msg.lower() or isinstance(err, EOFError):
            raise ImageLoadError(path, f"truncated or corrupt image ({msg})") from None
        raise ImageLoadError(path, f"cannot decode image ({msg})") from None
    except MemoryError:
        raise ImageLoadError(path, "image too large to decode in memory", "too_large") from None
    except Exception as err:  # noqa: BLE001 - a decoder or EXIF parser bug must not end a batch
        raise ImageLoadError(path, f"cannot decode image ({type(err).__name__}: {err})") from None


#: Float images a rounding step outside 0..1 (1.0000001 after a resize) are still 0..1 images, not near-black 0..255.
FLOAT_SLACK = 1e-3
#: An image thinner than this (width : height or height : width) is neither a line nor a page; refused from its header.
MAX_ASPECT = 1000
#: JPEG scans (SOS markers) beyond this are refused before decoding: a progressive JPEG has about ten, and
#: each scan costs a pass over the whole image (an 83 KB file with 500 scans of 36 MP took 5.6 s).
MAX_JPEG_SCANS = 100

#: Channel orders an ``(h, w, 3)`` array may be given in.
CHANNEL_ORDERS = ("RGB", "BGR")


def array_to_gray(array: object, channel_order: str = "RGB") -> np.ndarray:
    """A numpy image from the Python API → ``(H, W)`` uint8 grayscale, or a clear error.

    Accepts ``(h, w)``, ``(h, w, 1)``, ``(h, w, 3)`` (RGB by default; ``channel_order="BGR"`` for
    OpenCV's ``cv2.imread``) and ``(h, w, 4)`` (alpha over white) arrays of uint8, bool (True = white),
    other integers within 0..255, or floats within 0..1 (scaled) or 0..255.

    Raises:
        TypeError: not a numpy array, or of a kind that is not an image (object, complex, strings).
        ValueError: a shape, value range or channel order that is not an image's.
    """
    if channel_order not in CHANNEL_ORDERS:
        raise ValueError(f"channel_order must be one of {', '.join(CHANNEL_ORDERS)}, got {channel_order!r}")
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected a path, a PIL image or a numpy array, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"an image array must hold numbers, got dtype {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(f"expected an (h, w), (h, w, 3) or (h, w, 4) image array, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"the image array is empty (shape {array.shape})")
    if array.dtype.kind == "b":
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        values = array.astype(np.float64)
        if not np.isfinite(values).all():
            raise ValueError("the image array holds NaN or infinite values")
        low, high = float(values.min()), float(values.max())
        if array.dtype.kind == "f" and low >= -FLOAT_SLACK and high <= 1 + FLOAT_SLACK:
            values = np.clip(values, 0.0, 1.0) * 255.0  # 0..1 floats, with the rounding of a resize or a sum
        elif low < 0 or high > 255:
            raise ValueError(f"image values must lie in 0..255 (or 0..1 for floats), got {low:g}..{high:g}")
        array = np.round(values).astype(np.uint8)
    if array.ndim == 2:
        return np.ascontiguousarray(array)
    if channel_order == "BGR":
        array = array[:, :, [2, 1, 0, 3][: array.shape[2]]]
    # The same conversion as an image file's (alpha over white, ITU-R 601 luma): to_grayscale.
    return to_grayscale(Image.fromarray(np.ascontiguousarray(array), "RGBA" if array.shape[2] == 4 else "RGB"))


def image_dpi(path: str | Path) -> float | None:
    """The resolution an image file records (JPEG/PNG/TIFF ``dpi``: the horizontal one), or None when it records
    none or an implausible one (outside 20–2400 dpi). Reads only the header."""
    try:
        with Image.open(path) as image:
            dpi = image.info.get("dpi")
    except (OSError, ValueError, UnidentifiedImageError):
        return None
    try:
        value = float(dpi[0] if isinstance(dpi, (tuple, list)) else dpi)
    except (TypeError, ValueError, IndexError):
        return None
    return value if 20 <= value <= 2400 else None
