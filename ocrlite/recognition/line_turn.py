"""Which way round one line is: a small 0°/180° classifier, as PP-OCR's text-direction ``cls``, on onnxruntime.

The page reader settles a page's way up from its widest lines read both ways round; a single line printed
upside down on an upright page (a stamp, a label) is the case this is for. Its own reading confidence tells
that less surely (docs/pages.md, "Lines turned on their own"): a line the recognizer reads weakly upright
often reads no better turned round. The classifier looks at the line's shape instead — where ascenders,
descenders, capitals and punctuation sit against the baseline — which says which way up even for a word
the recognizer has never seen.

Input: the line cut out with its text along the width (:func:`ocrlite.pages.learned.cut_line`), trimmed
to the rows its text occupies, dark text on light, resized to :data:`INPUT_HEIGHT` rows with its aspect
kept, then cut into up to :data:`MAX_WINDOWS` windows of :data:`WINDOW` columns (start, middle, end; a
shorter line is centred on its background). Output: the probability that the line is upside down, the
mean of its windows' logits through a sigmoid.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ocrlite.recognition.preprocess import resize_to_height
from ocrlite.recognition.text_band import background_level, trim_to_text
from ocrlite.utils.onnx_session import open_session
from ocrlite.utils.resources import MODELS_DIR

#: Rows of the classifier's input.
INPUT_HEIGHT = 32
#: Columns of one window of a line (about eight letters at :data:`INPUT_HEIGHT`).
WINDOW = 256
#: A long line is looked at in this many windows at most (its start, middle and end).
MAX_WINDOWS = 3
#: The shipped classifier inside the package.
LINE_TURN_FILE = "line_turn.onnx"
#: ONNX metadata key of an exported line-turn classifier.
METADATA_KEY = "ocrlite_line_turn"


class LineTurnModelError(ValueError):
    """A line-turn model file ocrlite cannot use (missing, unreadable, or not exported by ocrlite)."""


def dark_on_light(gray: np.ndarray) -> np.ndarray:
    """``gray`` with light text on a dark ground inverted, so every line reaches the network as dark on light."""
    return 255 - gray if background_level(gray) < 128 else gray


def line_windows(gray: np.ndarray, offsets: list[float] | None = None) -> np.ndarray:
    """One ``(h, w)`` uint8 line crop → ``(k, INPUT_HEIGHT, WINDOW)`` float32 windows in [-1, 1], ``k`` ≤
    :data:`MAX_WINDOWS`.

    Args:
        gray: the line, its text along the width.
        offsets: where each window starts, as a fraction of the room a window can move in (0: the line's start,
            1: its end); default ``[0, 0.5, 1]`` for a line longer than a window, one centred window otherwise.

    Raises:
        ValueError: not a non-empty 2-D array.
    """
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"expected a non-empty 2-D grayscale crop, got shape {gray.shape}")
    line = resize_to_height(dark_on_light(trim_to_text(gray)), INPUT_HEIGHT)
    background = background_level(line)
    width = line.shape[1]
    if width <= WINDOW:
        out = np.full((INPUT_HEIGHT, WINDOW), background, np.uint8)
        start = (WINDOW - width) // 2
        out[:, start:start + width] = line
        windows = [out]
    else:
        room = width - WINDOW
        starts = sorted({int(round(f * room)) for f in (offsets if offsets is not None else [0.0, 0.5, 1.0])})
        windows = [line[:, s:s + WINDOW] for s in starts[:MAX_WINDOWS]]
    return (np.stack(windows).astype(np.float32) / 127.5) - 1.0


def batch_windows(crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Crops → ``(K, 1, INPUT_HEIGHT, WINDOW)`` windows and ``(K,)`` the index of the crop each belongs to."""
    windows, owners = [], []
    for i, crop in enumerate(crops):
        w = line_windows(crop)
        windows.append(w)
        owners += [i] * len(w)
    if not windows:
        return np.zeros((0, 1, INPUT_HEIGHT, WINDOW), np.float32), np.zeros(0, np.int64)
    return np.concatenate(windows)[:, None], np.asarray(owners, np.int64)


def mean_by_owner(logits: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """``(K,)`` window logits → ``(n,)`` probabilities: each crop's mean logit through a sigmoid."""
    sums = np.bincount(owners, weights=logits, minlength=n)
    counts = np.maximum(np.bincount(owners, minlength=n), 1)
    return 1.0 / (1.0 + np.exp(-np.clip(sums / counts, -30, 30)))


class OnnxLineTurn:
    """The line-turn classifier on onnxruntime.

    Example:
        >>> turn = OnnxLineTurn.load(default_line_turn_path())     # doctest: +SKIP
        >>> turn.turned_probability([crop])                          # doctest: +SKIP
        array([0.01])
    """

    def __init__(self, session, info: dict | None = None) -> None:
        self.session = session
        self.info = info or {}
        self.input_name = session.get_inputs()[0].name

    @classmethod
    def load(cls, path: str | Path, threads: int | None = None) -> OnnxLineTurn:
        """Open an exported line-turn classifier with onnxruntime's CPU provider.

        Raises:
            LineTurnModelError: missing file, not ONNX, or no ocrlite line-turn metadata.
        """
        path = Path(path)
        session = open_session(path, threads, LineTurnModelError, "line-turn model")
        meta = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        if meta is None:
            raise LineTurnModelError(f"{path}: not an ocrlite line-turn classifier (no {METADATA_KEY!r} metadata)")
        return cls(session, json.loads(meta))

    def turned_probability(self, crops: list[np.ndarray], batch_size: int = 32) -> np.ndarray:
        """``(N,)`` float64: for each ``(h, w)`` uint8 line crop, the probability that it is upside down.

        Crops are windowed ``batch_size`` at a time (at most 3 windows of 32 KB each), so a page of thousands of
        lines never holds all its windows at once."""
        out = np.zeros(len(crops))
        for start in range(0, len(crops), batch_size):
            chunk = crops[start:start + batch_size]
            x, owners = batch_windows(chunk)
            logits = self.session.run(None, {self.input_name: x})[0].reshape(-1) if len(x) else np.zeros(0)
            out[start:start + len(chunk)] = mean_by_owner(logits.astype(np.float64), owners, len(chunk))
        return out


def default_line_turn_path() -> Path:
    """The shipped line-turn classifier (it may be missing in a build without it)."""
    return MODELS_DIR / LINE_TURN_FILE


@lru_cache(maxsize=1)
def default_line_turn() -> OnnxLineTurn | None:
    """The shipped classifier, opened once with one thread (None when the package has none)."""
    path = default_line_turn_path()
    return OnnxLineTurn.load(path, threads=1) if path.is_file() else None
