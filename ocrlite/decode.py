"""CTC decoding of logits ``(B, T, K)`` (blank = 0) into text with confidences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ocrlite.charset import Charset


@dataclass
class Prediction:
    """A recognised line.

    Attributes:
        text: the decoded text.
        confidence: line confidence in [0, 1]: the mean of ``char_confidences``
            (for an empty line, the mean probability of the best path's frames).
        char_confidences: per character, the highest probability that character reached
            over the frames of its run on the best path.
    """

    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, numerically stable."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def greedy_decode(logits: np.ndarray, charset: Charset, lengths: Sequence[int] | None = None) -> list[Prediction]:
    """Best-path decoding: argmax per frame, merge repeats, drop blanks.

    Args:
        logits: ``(B, T, K)`` raw scores (a torch tensor is accepted too).
        charset: maps class ``i`` (≥ 1) to ``charset.chars[i - 1]``.
        lengths: valid frames per line (frames past it are batch padding); default all ``T``.
    """
    if not isinstance(logits, np.ndarray):
        logits = logits.detach().float().cpu().numpy()
    probs = softmax(logits.astype(np.float32))
    best = probs.argmax(-1)                   # (B, T)
    best_p = probs.max(-1)                    # (B, T)
    out: list[Prediction] = []
    for b in range(probs.shape[0]):
        t_len = probs.shape[1] if lengths is None else int(lengths[b])
        ids, confs = _collapse(best[b, :t_len], best_p[b, :t_len])
        text = charset.decode(ids)
        if confs:
            line_conf = float(np.mean(confs))
        else:
            line_conf = float(best_p[b, :t_len].mean()) if t_len else 0.0
        out.append(Prediction(text, line_conf, [float(c) for c in confs]))
    return out


def _collapse(path: np.ndarray, path_p: np.ndarray) -> tuple[list[int], list[float]]:
    """Merge runs of the same class and drop blanks; keep each run's peak probability."""
    ids: list[int] = []
    confs: list[float] = []
    prev = 0
    for k, p in zip(path.tolist(), path_p.tolist()):
        if k != 0:
            if k != prev:
                ids.append(k)
                confs.append(p)
            elif p > confs[-1]:
                confs[-1] = p
        prev = k
    return ids, confs
