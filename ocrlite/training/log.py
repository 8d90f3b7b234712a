"""Logging of a training run: only rank 0 of a distributed run writes."""

from __future__ import annotations

import torch.distributed as dist

from ocrlite.utils.progress import write_stderr


def is_rank0() -> bool:
    """This process is the only one or rank 0 of a torchrun group."""
    return not dist.is_initialized() or dist.get_rank() == 0


def log(msg: str) -> None:
    """One line on stderr, from rank 0 only."""
    if is_rank0():
        write_stderr(msg + "\n")
