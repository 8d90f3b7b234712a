"""Engine-agnostic line recognition: preparation, width batching, decoding, bad-file handling.

Torch-free on purpose: the ONNX engine (:mod:`ocrlite.recognition.onnx_engine`) runs without torch.
Subclasses only say how to turn a padded batch into logits. Reading whole pages is a layer above
(:mod:`ocrlite.pages`): this module knows nothing of pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ocrlite.recognition.charset import Charset
from ocrlite.recognition.decode import Prediction, check_beam_work, class_mask, decode
from ocrlite.inputs.images import ImageLoadError, array_to_gray, load_gray
from ocrlite.utils.limits import MAX_BATCH, MAX_IMAGE_PIXELS
from ocrlite.recognition.preprocess import ImageTooWideError, PreprocessConfig, collate_images, prepare

ImageInput = str | Path | Image.Image | np.ndarray
#: Padded columns one batch may hold (lines × widest line): ~130 k columns of 32 rows keep a batch's
#: activations under ~1 GB on the default model, whatever the lines' widths.
MAX_BATCH_COLUMNS = 131_072


def check_batch_size(batch_size: object) -> None:
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")


@dataclass
class PathResult:
    """Outcome for one input path: a prediction, or the reason it failed."""

    path: str
    prediction: Prediction | None = None
    error: str | None = None


class BaseRecognizer:
    """Shared logic of the torch and ONNX line recognizers (pages: :class:`ocrlite.pages.reader.PageReading`).

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
        #: The pixel limit of an input image, line or page (``--max-pixels``; checked before decoding).
        self.max_pixels = MAX_IMAGE_PIXELS
        #: Beam search work (beam width × columns) one call may ask for; None: unbounded (the service bounds it).
        self.max_beam_work: int | None = None

    def logits(self, batch: np.ndarray, widths: Sequence[int] | None = None) -> np.ndarray:
        """``(B, 1, H, W)`` float32 and each line's own width (None: all W) → ``(B, W / 4, K)`` logits.

        A line's first ``widths[i] / 4`` steps do not depend on the rest of the batch.
        """
        raise NotImplementedError

    def set_decoder(self, method: str = "greedy", beam_width: int = 8, lexicon: frozenset[str] | None = None,
                    allow: str | None = None, block: str | None = None, ascii: bool = False,
                    strip_accents: bool = False) -> BaseRecognizer:
        """Choose greedy or beam decoding, a lexicon (beam only), allowed / blocked characters, and ASCII output.

        ``ascii``: typographic punctuation and signs in their ASCII form (:func:`ocrlite.recognition.asciify.asciify`);
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

    def to_gray(self, image: ImageInput, channel_order: str = "RGB", max_pixels: int | None = None) -> np.ndarray:
        """Any accepted input → ``(H, W)`` uint8: a path (str or Path), a PIL image, or a numpy array
        (see :func:`ocrlite.inputs.images.array_to_gray`; ``(h, w, 3)`` arrays are RGB unless ``channel_order="BGR"``).

        Raises:
            ImageLoadError: a path that cannot be read. TypeError / ValueError: anything else that is not an image.
        """
        if isinstance(image, (str, Path)):
            return load_gray(image, max_pixels=self.max_pixels if max_pixels is None else max_pixels)
        if isinstance(image, Image.Image):
            from ocrlite.recognition.preprocess import to_grayscale

            return to_grayscale(image)
        return array_to_gray(image, channel_order)

    def prepare(self, image: ImageInput, channel_order: str = "RGB") -> np.ndarray:
        """One line image (path, PIL image or numpy array; see :meth:`to_gray`) → normalised ``(H, W)`` float32."""
        return prepare(self.to_gray(image, channel_order), self.preprocess)

    def predict_prepared(self, batch: list[np.ndarray]) -> list[Prediction]:
        """Recognise already-prepared images as one padded batch."""
        array, widths = collate_images(batch)
        logits = self.logits(array, widths)
        preds = decode(logits, self.charset, [w // self.width_stride for w in widths], **self.decoder)
        return [self._as_ascii(p) for p in preds] if self.ascii else preds

    def _as_ascii(self, pred: Prediction) -> Prediction:
        from ocrlite.recognition.asciify import asciify

        chars, confs, frames = [], [], []
        spans = pred.char_frames or [None] * len(pred.text)
        for ch, conf, span in zip(pred.text, pred.char_confidences, spans):
            mapped = asciify(ch, self.strip_accents)
            chars.append(mapped)
            confs.extend([conf] * len(mapped))
            frames.extend([span] * len(mapped))
        return Prediction("".join(chars), pred.confidence, confs, frames if pred.char_frames else [])

    def predict(self, images: ImageInput | Sequence[ImageInput], batch_size: int = 32,
                channel_order: str = "RGB") -> list[Prediction]:
        """Recognise line images; one :class:`Prediction` per input, in input order.

        ``images``: one image or a sequence of them — paths (str or Path), PIL images, numpy arrays
        (see :meth:`to_gray`). Any ``batch_size`` works: batches hold at most :data:`~ocrlite.utils.limits.MAX_BATCH`
        lines, so memory stays bounded, and the text is the same at every batch size.

        Raises:
            ImageLoadError / ImageTooWideError / TypeError / ValueError: for the first unusable input (use
            :meth:`predict_paths` to keep going past bad files).
        """
        check_batch_size(batch_size)
        if isinstance(images, (str, Path, Image.Image, np.ndarray)):
            images = [images]
        elif images is None or not isinstance(images, Sequence):
            raise TypeError(f"expected an image or a list of images, got {type(images).__name__}")
        return self.predict_sorted([self.prepare_named(im, channel_order) for im in images], batch_size)

    def prepare_named(self, image: ImageInput, channel_order: str = "RGB") -> np.ndarray:
        """:meth:`prepare`, with errors about a file naming it (``"a.png: no such file"``)."""
        try:
            return self.prepare(image, channel_order)
        except ImageLoadError as err:
            raise err.naming_the_file() from None
        except ImageTooWideError as err:
            if isinstance(image, (str, Path)):
                raise ImageTooWideError(f"{image}: {err}") from None
            raise

    def predict_sorted(self, prepared: list[np.ndarray], batch_size: int) -> list[Prediction]:
        """Batch prepared images by similar width (sorted), return predictions in input order.

        A batch holds at most ``min(batch_size, MAX_BATCH)`` lines and :data:`MAX_BATCH_COLUMNS` padded columns.
        """
        check_batch_size(batch_size)
        if self.decoder.get("method") == "beam":
            check_beam_work(self.decoder["beam_width"], sum(p.shape[1] // self.width_stride for p in prepared),
                            self.max_beam_work)
        order = sorted(range(len(prepared)), key=lambda i: prepared[i].shape[1])
        out: list[Prediction | None] = [None] * len(prepared)
        limit = min(batch_size, MAX_BATCH)
        batch: list[int] = []
        for i in order + [-1]:
            full = batch and (i < 0 or len(batch) >= limit or (len(batch) + 1) * prepared[i].shape[1] > MAX_BATCH_COLUMNS)
            if full:
                for j, pred in zip(batch, self.predict_prepared([prepared[j] for j in batch])):
                    out[j] = pred
                batch = []
            if i >= 0:
                batch.append(i)
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
