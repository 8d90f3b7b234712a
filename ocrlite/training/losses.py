"""CTC helpers of the training step: reading case-folded labels in either case."""

from __future__ import annotations

import torch

from ocrlite.recognition.charset import Charset


def case_pairs(charset: Charset) -> tuple[torch.Tensor, torch.Tensor]:
    """Class ids ``(upper, lower)`` of every letter whose two cases are both in ``charset``."""
    upper, lower = [], []
    for ch in charset.chars:
        if ch.isupper() and ch.lower() in charset.chars and len(ch.lower()) == 1:
            upper.append(charset.chars.index(ch) + 1)
            lower.append(charset.chars.index(ch.lower()) + 1)
    return torch.tensor(upper, dtype=torch.long), torch.tensor(lower, dtype=torch.long)


def merge_letter_case(log_probs: torch.Tensor, folded: torch.Tensor, pairs: tuple[torch.Tensor, torch.Tensor]
                      ) -> torch.Tensor:
    """For case-folded lines, let an upper-case label letter be read in either case.

    Args:
        log_probs: ``(T, B, K)`` log-softmax outputs.
        folded: ``(B,)`` bool, the lines whose labels are upper-cased.
        pairs: ``(upper, lower)`` class ids from :func:`case_pairs`.

    Returns:
        ``(T, B, K)``: for folded lines the upper-case column holds ``log(p(upper) + p(lower))``, so
        CTC on the upper-cased label scores the line's letters without asking for a case; other lines
        are unchanged.
    """
    upper, lower = pairs
    if upper.numel() == 0:
        return log_probs
    either = torch.logaddexp(log_probs[:, :, upper], log_probs[:, :, lower])       # (T, B, L)
    columns = torch.where(folded.to(log_probs.device)[None, :, None], either, log_probs[:, :, upper])
    return log_probs.index_copy(2, upper.to(log_probs.device), columns)
