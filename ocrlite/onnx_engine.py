"""ONNX engine: run an exported model with onnxruntime only (this module never imports torch).

The ONNX file stands alone: charset, preprocessing and model settings live in its metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ocrlite.charset import Charset
from ocrlite.engine import BaseRecognizer
from ocrlite.preprocess import PreprocessConfig

METADATA_KEY = "ocrlite"


class OnnxModelError(ValueError):
    """An ONNX file that ocrlite cannot use (missing, unreadable, or not exported by ocrlite)."""


class OnnxRecognizer(BaseRecognizer):
    """Recognizer over an ONNX model exported by ``ocrlite export``.

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

    @classmethod
    def load(cls, path: str | Path, threads: int | None = None) -> OnnxRecognizer:
        """Open ``path`` with onnxruntime's CPU provider.

        Raises:
            OnnxModelError: missing file, not ONNX, or no ocrlite metadata.
        """
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise OnnxModelError(f"{path}: no such ONNX model file")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise OnnxModelError(f"{path}: not a loadable ONNX model ({str(err).splitlines()[0][:200]})") from None
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
        classes = session.get_outputs()[0].shape[-1]
        if isinstance(classes, int) and classes != charset.num_classes:
            raise OnnxModelError(f"{path}: the model outputs {classes} classes but its charset needs "
                                 f"{charset.num_classes}; the file is inconsistent")
        rec = cls(session, charset, preprocess, int8 if isinstance(int8, str) else None)
        probe = rec.logits(np.full((1, 1, preprocess.height, 64), 0.5, np.float32))
        if not np.isfinite(probe).all():
            raise OnnxModelError(f"{path}: the model outputs NaN or infinite values (diverged weights)")
        return rec

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """``(B, 1, H, W)`` → ``(B, W / 4, K)`` logits."""
        return self.session.run(None, {self.input_name: batch.astype(np.float32)})[0]
