"""Data-loading worker processes that a stop signal cannot orphan or crash (shared by both trainers)."""

from __future__ import annotations

import signal
from typing import Any


def ignore_stop_signals(_worker_id: int) -> None:
    """DataLoader workers ignore Ctrl-C / SIGTERM sent to the whole process group (a terminal, ``kill -- -PGID``).

    Otherwise the worker dies first and the main process crashes on "worker killed" before it can save
    last.pt; this way the main process finishes its step, saves, and shuts the workers down itself.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def stop_workers(batches: Any) -> None:
    """End the DataLoader's worker processes now (they ignore SIGTERM, see :func:`ignore_stop_signals`).

    After an error in a worker or in the step, waiting for them at exit would hang forever. The workers are
    first taken off torch's SIGCHLD watch list: killed while still on it, a worker's death raised "DataLoader
    worker (pid N) is killed by signal: Killed" in the trainer after it had finished and saved (seen once in
    200-step runs on a busy machine).
    """
    if getattr(batches, "_worker_pids_set", False):
        try:
            from torch.utils.data._utils import signal_handling

            signal_handling._remove_worker_pids(id(batches))
            batches._worker_pids_set = False
        except (ImportError, AttributeError, RuntimeError, ValueError):  # another torch: kill anyway
            pass
    for worker in getattr(batches, "_workers", []):
        if worker.is_alive():
            worker.kill()
    shutdown = getattr(batches, "_shutdown_workers", None)
    if shutdown is not None:
        try:
            shutdown()
        except Exception:  # noqa: BLE001 - best effort: the workers are already gone
            pass
