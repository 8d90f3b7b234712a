"""Engine-agnostic recognition: preparation, width batching, decoding, bad-file handling.

Torch-free on purpose: the ONNX engine (:mod:`ocrlite.onnx_engine`) runs without torch.
Subclasses only say how to turn a padded batch into logits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ocrlite.charset import Charset
from ocrlite.decode import Prediction, class_mask, decode
from ocrlite.images import ImageLoadError, load_gray
from ocrlite.preprocess import ImageTooWideError, PreprocessConfig, collate_images, prepare

ImageInput = str | Path | Image.Image | np.ndarray


@dataclass
class PathResult:
    """Outcome for one input path: a prediction, or the reason it failed."""

    path: str
    prediction: Prediction | None = None
    error: str | None = None


class BaseRecognizer:
    """Shared logic of the torch and ONNX recognizers.

    Args:
        charset: the model's charset.
        preprocess: the model's preprocessing settings.
    """

    width_stride = 4

    def __init__(self, charset: Charset, preprocess: PreprocessConfig) -> None:
        self.charset = charset
        self.preprocess = preprocess
        self.decoder: dict = {"method": "greedy"}
        self.ascii = False
        self.strip_accents = False

    def logits(self, batch: np.ndarray, widths: Sequence[int] | None = None) -> np.ndarray:
        """``(B, 1, H, W)`` float32 and each line's own width (None: all W) → ``(B, W / 4, K)`` logits.

        A line's first ``widths[i] / 4`` steps do not depend on the rest of the batch.
        """
        raise NotImplementedError

    def set_decoder(self, method: str = "greedy", beam_width: int = 8, lexicon: frozenset[str] | None = None,
                    allow: str | None = None, block: str | None = None, ascii: bool = False,
                    strip_accents: bool = False) -> BaseRecognizer:
        """Choose greedy or beam decoding, a lexicon (beam only), allowed / blocked characters, and ASCII output.

        ``ascii``: typographic punctuation and signs in their ASCII form (:func:`ocrlite.asciify.asciify`);
        ``strip_accents``: letters too, so every text is ASCII. Each output character keeps the
        confidence of the character it came from.

        Raises:
            ValueError: unknown method, or characters the model cannot emit.
        """
        if method not in ("greedy", "beam"):
            raise ValueError(f"unknown decoder {method!r}; choose one of: greedy, beam")
        if beam_width < 1:
            raise ValueError(f"beam width must be ≥ 1, got {beam_width}")
        class_mask(self.charset, allow, block)  # validates the characters
        self.decoder = {"method": method, "beam_width": beam_width, "lexicon": lexicon, "allow": allow, "block": block}
        self.ascii = ascii or strip_accents
        self.strip_accents = strip_accents
        return self

    def prepare(self, image: ImageInput) -> np.ndarray:
        """One image (path, PIL image or ``(h, w)`` uint8 array) → normalised ``(H, W)`` float32."""
        if isinstance(image, (str, Path)):
            image = load_gray(image)
        return prepare(image, self.preprocess)

    def read_page(self, image: ImageInput, config=None, batch_size: int = 32):
        """Find the lines of a whole page and recognise them (see :func:`ocrlite.page.read_page`).

        Args:
            image: path, PIL image or ``(H, W)`` uint8 array of the page.
            config: :class:`ocrlite.layout.FinderConfig` (None: defaults).

        Returns:
            :class:`ocrlite.page.PageResult`: lines in reading order with box, text and confidences.
        """
        from ocrlite.page import MAX_PAGE_PIXELS, read_page
        from ocrlite.preprocess import to_grayscale

        if isinstance(image, (str, Path)):
            gray = load_gray(image, max_pixels=MAX_PAGE_PIXELS)
        elif isinstance(image, np.ndarray):
            gray = image if image.ndim == 2 else to_grayscale(image)
        else:
            gray = to_grayscale(image)
        return read_page(self, np.ascontiguousarray(gray, dtype=np.uint8), config, batch_size)

    def predict_prepared(self, batch: list[np.ndarray]) -> list[Prediction]:
        """Recognise already-prepared images as one padded batch."""
        array, widths = collate_images(batch)
        logits = self.logits(array, widths)
        preds = decode(logits, self.charset, [w // self.width_stride for w in widths], **self.decoder)
        return [self._as_ascii(p) for p in preds] if self.ascii else preds

    def _as_ascii(self, pred: Prediction) -> Prediction:
        from ocrlite.asciify import asciify

        chars, confs = [], []
        for ch, conf in zip(pred.text, pred.char_confidences):
            mapped = asciify(ch, self.strip_accents)
            chars.append(mapped)
            confs.extend([conf] * len(mapped))
        return Prediction("".join(chars), pred.confidence, confs)

    def predict(self, images: Sequence[ImageInput], batch_size: int = 32) -> list[Prediction]:
        """Recognise line images; one :class:`Prediction` per input, in input order.

        Raises:
            ImageLoadError / ImageTooWideError: for the first unusable input (use
            :meth:`predict_paths` to keep going past bad files).
        """
        return self.predict_sorted([self.prepare(im) for im in images], batch_size)

    def predict_sorted(self, prepared: list[np.ndarray], batch_size: int) -> list[Prediction]:
        """Batch prepared images by similar width (sorted), return predictions in input order."""
        order = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[1])
        out: list[Prediction | None] = [None] * len(prepared)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            for i, pred in zip(idx, self.predict_prepared([prepared[i] for i in idx])):
                out[i] = pred
        return out  # type: ignore[return-value]

    def predict_paths(self, paths: Sequence[str], batch_size: int = 32, chunk: int = 2048) -> Iterator[PathResult]:
        """Recognise image files, yielding results in input order; bad files yield an error, not an exception.

        Inputs are handled ``chunk`` at a time so memory stays bounded for any number of files.
        """
        for start in range(0, len(paths), chunk):
            results = [PathResult(p) for p in paths[start : start + chunk]]
            good: list[int] = []
            prepared: list[np.ndarray] = []
            for i, r in enumerate(results):
                try:
                    prepared.append(self.prepare(r.path))
                    good.append(i)
                except (ImageLoadError, ImageTooWideError, ValueError) as err:
                    r.error = str(err)
            for i, pred in zip(good, self.predict_sorted(prepared, batch_size)):
                results[i].prediction = pred
            yield from results
