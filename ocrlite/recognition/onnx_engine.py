"""ONNX engine: run an exported model with onnxruntime only (this module never imports torch).

The ONNX file stands alone: charset, preprocessing and model settings live in its metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ocrlite.utils.onnx_session import open_session
from ocrlite.recognition.charset import Charset
from ocrlite.recognition.reader import BaseRecognizer
from ocrlite.recognition.preprocess import PreprocessConfig

METADATA_KEY = "ocrlite"
#: The graph's second input: ``(B,)`` int64 columns of each line before batch padding.
WIDTHS_INPUT = "widths"
#: int8 modes whose activation scales are computed per input tensor (onnxruntime's dynamic quantisation).
SCALES_PER_BATCH = ("dynamic", "dynamic-all")


class OnnxModelError(ValueError):
    """An ONNX file that ocrlite cannot use (missing, unreadable, or not exported by ocrlite)."""


class OnnxLineRecognizer(BaseRecognizer):
    """Line recognizer over an ONNX model exported by ``ocrlite export`` (with pages: :class:`ocrlite.api.OnnxRecognizer`).

    Args:
        session: an ``onnxruntime.InferenceSession``.
        charset, preprocess: from the file's metadata.
        int8: the ``ocrlite export --int8`` mode the file was quantised with, or None (fp32).
    """

    def __init__(self, session, charset: Charset, preprocess: PreprocessConfig, int8: str | None = None) -> None:
        super().__init__(charset, preprocess)
        self.session = session
        self.int8 = int8
        self.input_name = session.get_inputs()[0].name
        #: The file it was loaded from and the model settings its metadata declares (backbone, sizes).
        self.path: Path | None = None
        self.model_info: dict = {}
        # Files exported before batch invariance take the images only (their padding reaches the BiLSTM).
        self.takes_widths = any(i.name == WIDTHS_INPUT for i in session.get_inputs())

    @classmethod
    def load(cls, path: str | Path, threads: int | None = None) -> OnnxLineRecognizer:
        """Open ``path`` with onnxruntime's CPU provider.

        Raises:
            OnnxModelError: missing file, not ONNX, or no ocrlite metadata.
        """
        path = Path(path)
        session = open_session(path, threads, OnnxModelError, "ONNX model")
        meta = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        if meta is None:
            raise OnnxModelError(f"{path}: ONNX model has no ocrlite metadata (export it with `ocrlite export`)")
        try:
            info = json.loads(meta)
            if not isinstance(info, dict) or not isinstance(info.get("preprocess"), dict):
                raise TypeError("expected a JSON object with charset and preprocess")
            charset = Charset(info["charset"])
            preprocess = PreprocessConfig(**info["preprocess"])
            int8 = info.get("int8")
        except (ValueError, TypeError, KeyError) as err:  # JSONDecodeError and CharsetError are ValueErrors
            raise OnnxModelError(f"{path}: malformed ocrlite metadata ({type(err).__name__}: {err})") from None
        inputs = session.get_inputs()
        images = inputs[0]
        if images.type != "tensor(float)" or len(images.shape) != 4:
            raise OnnxModelError(f"{path}: the model's input {images.name!r} is {images.type} of shape {images.shape}; "
                                 f"an ocrlite model takes float (batch, 1, height, width) images")
        height = images.shape[2]
        if isinstance(height, int) and height != preprocess.height:
            raise OnnxModelError(f"{path}: the model takes {height}-row images but its metadata says "
                                 f"{preprocess.height}; the file is inconsistent")
        extra = [i for i in inputs[1:] if i.name != WIDTHS_INPUT or i.type != "tensor(int64)"]
        if extra:
            raise OnnxModelError(f"{path}: unexpected model input(s) {[f'{i.name} ({i.type})' for i in extra]}; "
                                 f"an ocrlite model takes images and optionally int64 widths")
        classes = session.get_outputs()[0].shape[-1]
        if isinstance(classes, int) and classes != charset.num_classes:
            raise OnnxModelError(f"{path}: the model outputs {classes} classes but its charset needs "
                                 f"{charset.num_classes}; the file is inconsistent")
        rec = cls(session, charset, preprocess, int8 if isinstance(int8, str) else None)
        rec.path = path
        rec.model_info = info.get("model") if isinstance(info.get("model"), dict) else {}
        try:
            probe = rec.logits(np.full((1, 1, preprocess.height, 64), 0.5, np.float32))
        except Exception as err:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise OnnxModelError(f"{path}: the model does not run on a {preprocess.height}-row line "
                                 f"({str(err).splitlines()[0][:200]})") from None
        if probe.ndim != 3 or probe.shape[0] != 1 or probe.shape[-1] != charset.num_classes:
            raise OnnxModelError(f"{path}: the model outputs shape {probe.shape}, not (1, time, "
                                 f"{charset.num_classes}); the file is inconsistent")
        if not np.isfinite(probe).all():
            raise OnnxModelError(f"{path}: the model outputs NaN or infinite values (diverged weights)")
        return rec

    def logits(self, batch: np.ndarray, widths: Sequence[int] | None = None) -> np.ndarray:
        """``(B, 1, H, W)`` and each line's own width (None: all W) → ``(B, W / 4, K)`` logits.

        Dynamically quantised files (``int8`` ``dynamic`` / ``dynamic-all``) pick their activation scales
        from the whole input tensor, so a line's neighbours would move its logits: such files read each
        line alone, at its own width (steps past it are zeros). At one thread that costs nothing
        (batching gains the int8 BiLSTM ~1 %); fp32 and static-int8 files read whole batches.
        """
        if self.int8 in SCALES_PER_BATCH and batch.shape[0] > 1:
            out: np.ndarray | None = None
            for i, w in enumerate([batch.shape[-1]] * batch.shape[0] if widths is None else widths):
                one = self._run(batch[i : i + 1, ..., :w], [w])
                if out is None:
                    out = np.zeros((batch.shape[0], batch.shape[-1] // self.width_stride, one.shape[-1]), one.dtype)
                out[i, : one.shape[1]] = one[0]
            return out  # type: ignore[return-value]
        return self._run(batch, widths)

    def _run(self, batch: np.ndarray, widths: Sequence[int] | None) -> np.ndarray:
        feeds = {self.input_name: batch.astype(np.float32, copy=False)}
        if self.takes_widths:
            feeds[WIDTHS_INPUT] = np.asarray([batch.shape[-1]] * batch.shape[0] if widths is None else widths, np.int64)
        return self.session.run(None, feeds)[0]
