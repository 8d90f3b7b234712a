"""Camera and scanner effects with albumentations: geometry, blur, noise, resampling, JPEG, binarisation.

albumentations is imported here only (with its update check disabled), so ``ocrlite --help``
and the torch-only paths never pay for it.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # otherwise it calls home on import

import albumentations as A  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402



@dataclass
class AugmentConfig:
    """Probabilities of the image-level effects; ``strength`` scales all of them.

    Attributes:
        geometry_p: small rotation and shear (affine).
        perspective_p: small perspective warp.
        blur_p: Gaussian or motion blur.
        downscale_p: downscale then upscale (low-resolution scans).
        noise_p: Gaussian sensor noise.
        jpeg_p: JPEG compression artefacts.
        binarize_p: hard thresholding (fax / photocopy look), with strokes thickened or thinned first.
        photocopy_p: one to three photocopy generations: crushed contrast, toner speckle, dropouts.
        strength: multiplies every probability.
    """

    geometry_p: float = 0.35
    perspective_p: float = 0.1
    blur_p: float = 0.3
    downscale_p: float = 0.2
    noise_p: float = 0.3
    jpeg_p: float = 0.2
    binarize_p: float = 0.06
    photocopy_p: float = 0.12
    strength: float = 1.0

    def p(self, value: float) -> float:
        return min(1.0, value * self.strength)


class Augmenter:
    """Applies the albumentations pipeline with per-sample random state (pure function of ``rng``)."""

    def __init__(self, config: AugmentConfig | None = None) -> None:
        self.config = cfg = config or AugmentConfig()
        self.pipeline = A.Compose(
            [
                A.Affine(rotate=(-2.0, 2.0), shear={"x": (-10, 10), "y": (-1, 1)}, fit_output=True,
                         border_mode=cv2.BORDER_REPLICATE, p=cfg.p(cfg.geometry_p)),
                A.Perspective(scale=(0.01, 0.035), fit_output=True, border_mode=cv2.BORDER_REPLICATE,
                              p=cfg.p(cfg.perspective_p)),
                A.OneOf([A.GaussianBlur(blur_limit=(3, 5), sigma_limit=(0.3, 1.3)), A.MotionBlur(blur_limit=(3, 5))],
                        p=cfg.p(cfg.blur_p)),
                A.Downscale(scale_range=(0.35, 0.8), p=cfg.p(cfg.downscale_p)),
                A.GaussNoise(std_range=(0.01, 0.08), p=cfg.p(cfg.noise_p)),
                A.ImageCompression(quality_range=(20, 85), p=cfg.p(cfg.jpeg_p)),
            ]
        )

    def __call__(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``image: (h, w)`` uint8 → augmented ``(h', w')`` uint8 (geometry may change the size)."""
        self.pipeline.set_random_state(rng, random.Random(int(rng.integers(2**62))))
        out = self.pipeline(image=image)["image"]
        if rng.random() < self.config.p(self.config.photocopy_p) and out.shape[0] >= 20:
            out = photocopy(out, rng)
        if rng.random() < self.config.p(self.config.binarize_p):
            out = binarize(out, rng)
        return np.ascontiguousarray(out)


def gray_quantiles(image: np.ndarray, quantiles: tuple[float, ...]) -> list[float]:
    """Quantiles (0-1) of a grayscale image's levels, from its 256-bin histogram (whole levels; ~10× np.percentile)."""
    levels = image if image.dtype == np.uint8 else np.clip(image, 0, 255).astype(np.uint8)
    cdf = np.cumsum(cv2.calcHist([levels], [0], None, [256], [0, 256]).ravel()) / levels.size
    return [float(min(np.searchsorted(cdf, q), 255)) for q in quantiles]


def binarize(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hard threshold at mid-range; strokes sometimes thickened or thinned by one pixel first."""
    level = (float(image.min()) + float(image.max())) / 2 + rng.uniform(-15, 15)
    dark_ink = gray_quantiles(image, (0.5,))[0] > level  # the paper is the majority
    r = rng.random()
    if r < 0.25:  # thicker ink: spread the darker side
        image = cv2.erode(image, np.ones((2, 2), np.uint8)) if dark_ink else cv2.dilate(image, np.ones((2, 2), np.uint8))
    elif r < 0.4:
        image = cv2.dilate(image, np.ones((2, 1), np.uint8)) if dark_ink else cv2.erode(image, np.ones((2, 1), np.uint8))
    return np.where(image > level, 255, 0).astype(np.uint8)


def photocopy(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One to three copier generations: contrast crushed towards black and white, toner specks, dropouts."""
    out = image.astype(np.float32)
    for _ in range(int(rng.integers(1, 4))):
        lo, hi = gray_quantiles(out, (0.02, 0.98))
        mid = (lo + hi) / 2 + rng.uniform(-10, 10)
        gain = rng.uniform(1.5, 3.0) / max(hi - lo, 1.0) * 4
        with np.errstate(over="ignore"):  # exp overflows to inf where the sigmoid is 0: exactly right
            out = 255.0 / (1.0 + np.exp(-gain * (out - mid)))
        ink_is_dark = gray_quantiles(out, (0.5,))[0] > mid  # the paper is the majority
        ink = out < mid if ink_is_dark else out > mid
        ink_value, paper_value = (0.0, 255.0) if ink_is_dark else (255.0, 0.0)
        specks = rng.random(out.shape, dtype=np.float32) < rng.uniform(0.001, 0.006)  # toner on the paper
        out = np.where(specks & ~ink, 0.6 * ink_value + 0.4 * paper_value, out)
        drops = rng.random(out.shape, dtype=np.float32) < rng.uniform(0.0, 0.015)  # missing toner in strokes
        out = np.where(drops & ink, 0.5 * ink_value + 0.5 * paper_value, out)
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.7))
    return np.clip(out, 0, 255).astype(np.uint8)
