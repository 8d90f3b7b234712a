"""The learned line detector on onnxruntime: ``detect(gray)`` → line boxes (see :mod:`~ocrlite.detection.postprocess`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ocrlite.utils.onnx_session import open_session
from ocrlite.detection.postprocess import METADATA_KEY, DetectorSettings, detect_boxes, resize_for_detector
from ocrlite.utils.resources import MODELS_DIR

#: The shipped detector inside the package (``$OCRLITE_WEIGHTS_DIR`` points elsewhere).
DETECTOR_FILE = "detector.onnx"
#: ``--detector`` values: ``auto`` (the learned detector when it ships, else the classic finder), ``learned``, ``classic``.
DETECTORS = ("auto", "learned", "classic")


def default_detector_path() -> Path:
    """The shipped learned detector (it may be missing in a build without it)."""
    return MODELS_DIR / DETECTOR_FILE


class DetectorModelError(ValueError):
    """A detector file ocrlite cannot use (missing, unreadable, or not exported by ocrlite)."""


class OnnxLineDetector:
    """The learned line detector on onnxruntime: ``detect(gray)`` → boxes and scores.

    Example:
        >>> det = OnnxLineDetector.load(default_detector_path())          # doctest: +SKIP
        >>> boxes, scores = det.detect(page_gray)                           # doctest: +SKIP
    """

    def __init__(self, session, settings: DetectorSettings, info: dict | None = None) -> None:
        self.session = session
        self.settings = settings
        self.info = info or {}
        self.input_name = session.get_inputs()[0].name

    @classmethod
    def load(cls, path: str | Path, threads: int | None = None) -> OnnxLineDetector:
        """Open an exported detector with onnxruntime's CPU provider.

        Raises:
            DetectorModelError: missing file, not ONNX, or no ocrlite detector metadata.
        """
        path = Path(path)
        session = open_session(path, threads, DetectorModelError, "detector model")
        meta = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        if meta is None:
            raise DetectorModelError(f"{path}: not an ocrlite detector (no {METADATA_KEY!r} metadata)")
        info = json.loads(meta)
        known = DetectorSettings.__dataclass_fields__
        settings = DetectorSettings(**{k: v for k, v in info.get("settings", {}).items() if k in known})
        return cls(session, settings, info)

    def probability(self, gray: np.ndarray) -> tuple[np.ndarray, float]:
        """``(H, W)`` uint8 page → ``(h, w)`` probability map and the scale the page was read at."""
        x, scale = resize_for_detector(gray, self.settings)
        prob = self.session.run(None, {self.input_name: x})[0][0, 0]
        return prob, scale

    def detect(self, gray: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
        """Line boxes (``(4, 2)`` corners, page pixels) and their scores for a ``(H, W)`` uint8 page
        (a second pass at a larger scale for small text on a large page: :func:`detect_boxes`)."""
        return detect_boxes(lambda x: self.session.run(None, {self.input_name: x})[0][0, 0], gray, self.settings)
