"""CTC decoding of logits ``(B, T, K)`` (blank = 0) into text with confidences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ocrlite.recognition.charset import Charset


@dataclass
class Prediction:
    """A recognised line.

    Attributes:
        text: the decoded text.
        confidence: line confidence in [0, 1]: the mean of ``char_confidences``
            (for an empty line, the mean probability of the best path's frames).
        char_confidences: per character, the highest probability that character reached
            over the frames of its run on the best path.
        char_frames: per character, ``(first, last + 1)``: the output frames (columns of the model
            input / the width stride) of its run on the best path — where the model saw it. Empty when
            not known (a prediction made by hand).
    """

    text: str
    confidence: float
    char_confidences: list[float] = field(default_factory=list)
    char_frames: list[tuple[int, int]] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Prediction(text={self.text!r}, confidence={self.confidence:.3f})"


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
        ids, confs, frames = _collapse(best[b, :t_len], best_p[b, :t_len])
        text = charset.decode(ids)
        if confs:
            line_conf = float(np.mean(confs))
        else:
            line_conf = float(best_p[b, :t_len].mean()) if t_len else 0.0
        out.append(Prediction(text, line_conf, [float(c) for c in confs], frames))
    return out


def _collapse(path: np.ndarray, path_p: np.ndarray) -> tuple[list[int], list[float], list[tuple[int, int]]]:
    """Merge runs of the same class and drop blanks; keep each run's peak probability and its frames."""
    ids: list[int] = []
    confs: list[float] = []
    frames: list[tuple[int, int]] = []
    prev = 0
    for t, (k, p) in enumerate(zip(path.tolist(), path_p.tolist())):
        if k != 0:
            if k != prev:
                ids.append(k)
                confs.append(p)
                frames.append((t, t + 1))
            else:
                confs[-1] = max(confs[-1], p)
                frames[-1] = (frames[-1][0], t + 1)
        prev = k
    return ids, confs, frames


class DecodeBudgetError(ValueError):
    """Beam search over more columns than the reader's budget allows (``beam width × columns``)."""


def check_beam_work(beam_width: int, columns: int, budget: int | None) -> None:
    """Refuse beam search whose work (``beam_width × columns``, the prefixes scored) is over ``budget``.

    Raises:
        DecodeBudgetError: over budget (the message says what to lower).
    """
    if budget is not None and beam_width * columns > budget:
        raise DecodeBudgetError(f"beam search of width {beam_width} over {columns} columns is {beam_width * columns:,} "
                                f"steps, over the budget of {budget:,}: use a narrower beam, greedy decoding, or fewer lines")


def class_mask(charset: Charset, allow: str | None = None, block: str | None = None) -> np.ndarray | None:
    """Boolean ``(K,)`` mask of the classes decoding may emit (blank always allowed), or ``None`` for all.

    Raises:
        ValueError: ``allow``/``block`` name characters the model cannot emit (listed).
    """
    if not allow and not block:
        return None
    for name, chars in (("--allow", allow), ("--block", block)):
        unknown = charset.unknown(chars or "")
        if unknown:
            raise ValueError(f"{name} has characters the model does not know: {''.join(unknown)!r}")
    if allow and " " in charset.chars and " " not in allow and not (block and " " in block) \
            and set(allow) - set(block or ""):
        allow += " "  # words stay apart ("TOTAL EUR 1.234,56"); block the space explicitly to join them
    mask = np.zeros(charset.num_classes, bool)
    mask[0] = True
    for i, ch in enumerate(charset.chars, start=1):
        mask[i] = (not allow or ch in allow) and (not block or ch not in block)
    if not mask[1:].any():
        raise ValueError("--allow and --block together leave no character to emit; every line would read as empty")
    return mask


def restrict(probs: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Zero the probabilities of disallowed classes. ``probs: (..., K)``."""
    return probs if mask is None else probs * mask


def align_confidences(probs: np.ndarray, ids: list[int]) -> list[float]:
    """Per character of ``ids``, its peak probability on the most probable CTC alignment (Viterbi).

    Args:
        probs: ``(T, K)`` frame probabilities.
        ids: the label (class ids, no blanks).
    """
    return align(probs, ids)[0]


def align(probs: np.ndarray, ids: list[int]) -> tuple[list[float], list[tuple[int, int]]]:
    """The most probable CTC alignment (Viterbi) of ``ids`` to ``probs`` ``(T, K)``: per character its peak
    probability and its frames ``(first, last + 1)`` (see :attr:`Prediction.char_frames`)."""
    if not ids:
        return [], []
    ext = [0]
    for c in ids:
        ext += [c, 0]                                   # blank, c1, blank, c2, …, blank
    t_len, s_len = probs.shape[0], len(ext)
    logp = np.log(np.maximum(probs[:, ext], 1e-30))     # (T, S)
    score = np.full(s_len, -np.inf)
    score[0], score[1] = logp[0, 0], logp[0, 1]
    back = np.zeros((t_len, s_len), np.int64)
    for t in range(1, t_len):
        stay = score
        step = np.concatenate([[-np.inf], score[:-1]])
        skip = np.concatenate([[-np.inf, -np.inf], score[:-2]])
        skip_ok = np.array([s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2] for s in range(s_len)])
        skip = np.where(skip_ok, skip, -np.inf)
        choices = np.stack([stay, step, skip])          # (3, S)
        back[t] = choices.argmax(0)
        score = choices.max(0) + logp[t]
    s = s_len - 1 if score[-1] >= score[-2] else s_len - 2
    confs = [0.0] * len(ids)
    first = [t_len] * len(ids)
    last = [0] * len(ids)
    for t in range(t_len - 1, -1, -1):
        if ext[s] != 0:
            k = (s - 1) // 2
            confs[k] = max(confs[k], float(probs[t, ext[s]]))
            first[k], last[k] = min(first[k], t), max(last[k], t + 1)
        s -= int(back[t, s])
    frames = [(a, b) if b > a else (min(a, t_len - 1), min(a, t_len - 1) + 1) for a, b in zip(first, last)]
    return confs, frames


def _logsumexp(a: float, b: float) -> float:
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    m = max(a, b)
    return m + float(np.log(np.exp(a - m) + np.exp(b - m)))


def prefix_beam_search(
    probs: np.ndarray, beam_width: int = 8, lexicon: frozenset[str] | None = None, charset: Charset | None = None,
    lexicon_weight: float = 2.0, prune: float = 1e-4,
) -> list[int]:
    """CTC prefix beam search over one line. ``probs: (T, K)`` (already restricted). Returns class ids.

    With a ``lexicon`` (and the ``charset`` to spell words), every completed word found in it adds
    ``lexicon_weight`` to the beam's log score, so in-vocabulary readings win close calls.
    """
    log_probs = np.log(np.maximum(probs, 1e-30))
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -np.inf)}  # prefix → (log p_blank, log p_nonblank)

    def bonus(prefix: tuple[int, ...], final: bool) -> float:
        if not lexicon or charset is None or not prefix:
            return 0.0
        words = charset.decode(prefix).split(" ")
        done = words if final else words[:-1]
        return lexicon_weight * sum(w.strip(".,:;!?()\"'").lower() in lexicon for w in done if w)

    for t in range(probs.shape[0]):
        candidates = np.nonzero(probs[t] >= prune)[0]
        if candidates.size == 0:  # restricted away: keep the frame's best remaining class
            candidates = np.array([int(probs[t].argmax())])
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            total = _logsumexp(pb, pnb)
            last = prefix[-1] if prefix else None
            for c in candidates.tolist():
                lp = float(log_probs[t, c])
                if c == 0:
                    e = nxt.setdefault(prefix, [-np.inf, -np.inf])
                    e[0] = _logsumexp(e[0], total + lp)
                    continue
                ext = prefix + (c,)
                e = nxt.setdefault(ext, [-np.inf, -np.inf])
                if c == last:
                    e[1] = _logsumexp(e[1], pb + lp)          # repeat needs a blank in between
                    same = nxt.setdefault(prefix, [-np.inf, -np.inf])
                    same[1] = _logsumexp(same[1], pnb + lp)   # or it merges into the same char
                else:
                    e[1] = _logsumexp(e[1], total + lp)
        ranked = sorted(nxt.items(), key=lambda kv: -(_logsumexp(*kv[1]) + bonus(kv[0], False)))
        beams = {k: (v[0], v[1]) for k, v in ranked[:beam_width]}
    best = max(beams.items(), key=lambda kv: _logsumexp(*kv[1]) + bonus(kv[0], True))
    return list(best[0])


def decode(
    logits: np.ndarray, charset: Charset, lengths: Sequence[int] | None = None, method: str = "greedy",
    beam_width: int = 8, lexicon: frozenset[str] | None = None, allow: str | None = None, block: str | None = None,
) -> list[Prediction]:
    """Decode ``(B, T, K)`` logits with ``method`` "greedy" or "beam", optional lexicon and allow/block sets.

    Confidences are computed on the unrestricted probabilities: forcing a character the model did
    not believe in shows up as a low confidence.
    """
    if method not in ("greedy", "beam"):
        raise ValueError(f"unknown decoder {method!r}; choose one of: greedy, beam")
    if not isinstance(logits, np.ndarray):
        logits = logits.detach().float().cpu().numpy()
    mask = class_mask(charset, allow, block)
    if method == "greedy" and mask is None:
        return greedy_decode(logits, charset, lengths)
    probs = softmax(logits.astype(np.float32))
    out = []
    for b in range(probs.shape[0]):
        t_len = probs.shape[1] if lengths is None else int(lengths[b])
        p = probs[b, :t_len]
        allowed = restrict(p, mask)
        if method == "greedy":
            ids, _, _ = _collapse(allowed.argmax(-1), allowed.max(-1))
        else:
            ids = prefix_beam_search(allowed, beam_width, lexicon, charset)
        confs, frames = align(p, ids)
        line = float(np.mean(confs)) if confs else (float(p.max(-1).mean()) if t_len else 0.0)
        out.append(Prediction(charset.decode(ids), line, confs, frames))
    return out


def load_lexicon(path: str) -> frozenset[str]:
    """Words of a lexicon file (one per line, compared case-insensitively).

    Raises:
        FileNotFoundError / ValueError: missing, not a regular UTF-8 text file, or over the size bound.
    """
    from ocrlite.utils.limits import read_text_capped

    return frozenset(w.strip().lower() for w in read_text_capped(path, "--lexicon").splitlines() if w.strip())
