"""Image → normalised model input, the one path shared by training, evaluation and prediction.

Any PIL mode and EXIF orientation → 8-bit grayscale → (optionally) cut to the rows the text
occupies (:mod:`ocrlite.recognition.text_band`) → resized to ``height`` rows with the aspect ratio kept (long lines are never squashed), times the model's ``width_scale`` → right-padded
with the background to a multiple of 4 columns → ``(x / 255 - mean) / std``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image

from ocrlite.inputs.images import to_grayscale  # noqa: F401  (re-exported: the one grayscale conversion)
from ocrlite.recognition.text_band import background_level, trim_to_text


@dataclass
class PreprocessConfig:
    """How a line image becomes a model input; stored in checkpoints.

    Attributes:
        height: rows of the model input (32 by default; 48 also works).
        width_multiple: widths are padded to a multiple of this (the backbone's width stride).
        min_width: narrowest input (short crops are padded up to it).
        max_width: widest input after resizing; wider lines are refused by :func:`prepare`.
        mean: subtracted after scaling to [0, 1].
        std: divided by after subtracting the mean.
        width_scale: horizontal stretch after the aspect-kept resize (1.0 = none). More columns
            give CTC more time steps per character; ``scripts/ship/tune_width_scale.py`` measures the
            best value for a trained model on synthetic validation lines.
        trim_to_text: cut the crop to the rows its text occupies (plus a margin) before resizing, so
            loosely cropped lines are read at the letter size of tight ones (:mod:`ocrlite.recognition.text_band`).
            Off in checkpoints written before it existed; chosen per model with ``width_scale``.
    """

    height: int = 32
    width_multiple: int = 4
    min_width: int = 16
    max_width: int = 4096
    mean: float = 0.5
    std: float = 0.5
    width_scale: float = 1.0
    trim_to_text: bool = False

    def __post_init__(self) -> None:
        for name in ("height", "width_multiple", "min_width", "max_width"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65536:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not 8 <= self.height <= 512:
            raise ValueError(f"height must be between 8 and 512, got {self.height}")
        if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in (self.mean, self.std, self.width_scale)):
            raise ValueError("mean, std and width_scale must be finite numbers")
        if self.std == 0:
            raise ValueError("std must not be 0")
        if not isinstance(self.trim_to_text, bool):
            raise ValueError(f"trim_to_text must be true or false, got {self.trim_to_text!r}")
        if not 0.25 <= self.width_scale <= 4.0:
            raise ValueError(f"width_scale must be between 0.25 and 4.0, got {self.width_scale}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImageTooWideError(ValueError):
    """The line, resized to the model height, is wider than ``max_width``."""




def resized_width(shape: tuple[int, int], height: int, width_scale: float = 1.0) -> int:
    """Columns of an ``(h, w)`` image resized to ``height`` rows, aspect kept, times ``width_scale`` (≥ 1)."""
    h, w = shape
    return max(1, round(w * height / h * width_scale))


def resize_to_height(gray: np.ndarray, height: int, width_scale: float = 1.0) -> np.ndarray:
    """``(h, w)`` uint8 → ``(height, round(w · height / h · width_scale))`` uint8 (≥ 1 column)."""
    h, w = gray.shape
    new_w = resized_width(gray.shape, height, width_scale)
    if (h, w) == (height, new_w):
        return gray
    # Pillow's resize filters are antialiased when shrinking (support grows with the scale).
    return np.asarray(Image.fromarray(gray).resize((new_w, height), Image.Resampling.BILINEAR))


def pad_width(image: np.ndarray, width: int, value: float) -> np.ndarray:
    """Right-pad ``(H, w)`` to ``(H, width)`` with ``value``."""
    h, w = image.shape
    if w >= width:
        return image
    out = np.full((h, width), value, dtype=image.dtype)
    out[:, :w] = image
    return out


def padded_width(width: int, config: PreprocessConfig) -> int:
    """``width`` rounded up to the width multiple and at least ``min_width``."""
    m = config.width_multiple
    return max(config.min_width, -(-width // m) * m)


def prepare(image: Image.Image | np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """One line image → normalised ``(height, W)`` float32, W a multiple of ``width_multiple``.

    See :func:`prepare_with_width` (which also says how many of the W columns are the image).
    """
    return prepare_with_width(image, config)[0]


def prepare_with_width(image: Image.Image | np.ndarray, config: PreprocessConfig) -> tuple[np.ndarray, int]:
    """One line image → normalised ``(height, W)`` float32 and the columns the image itself fills (the rest
    is padding): column ``x`` of the input maps to ``x · filled / input width``.

    Args:
        image: a PIL image in any mode, or an ``(h, w)`` uint8 grayscale array.
        config: the model's preprocessing settings.

    Raises:
        ImageTooWideError: the resized line would be wider than ``config.max_width``.
        ValueError: the image is empty.
    """
    gray = image if isinstance(image, np.ndarray) else to_grayscale(image)
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"expected a non-empty 2-D grayscale image, got shape {gray.shape}")
    if config.trim_to_text:
        trimmed = trim_to_text(gray)  # larger letters make a wider line: keep the crop if it would be too wide
        if resized_width(trimmed.shape, config.height, config.width_scale) <= config.max_width:
            gray = trimmed
    new_w = resized_width(gray.shape, config.height, config.width_scale)
    if new_w > config.max_width:
        raise ImageTooWideError(
            f"line is {new_w} px wide at height {config.height} (limit {config.max_width}); split it into shorter lines"
        )
    background = background_level(gray)
    resized = resize_to_height(gray, config.height, config.width_scale)
    filled = resized.shape[1]
    resized = pad_width(resized, padded_width(filled, config), background)
    return ((resized.astype(np.float32) / 255.0) - config.mean) / config.std, filled


def collate_images(images: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    """Stack prepared ``(H, w_i)`` images into ``(B, 1, H, max w)``; pads each with its own background.

    Returns:
        The batch and each image's own width (before batch padding).
    """
    widths = [im.shape[1] for im in images]
    width = max(widths)
    batch = np.stack([pad_width(im, width, background_level(im)) for im in images])
    return batch[:, None], widths
