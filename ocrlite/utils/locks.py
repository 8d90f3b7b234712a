"""One writer per output folder: an exclusive, non-blocking ``flock`` on ``FOLDER/.lock``.

The lock is held by an open file for the life of the process (the OS drops it when the process
ends, however it ends), so a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

LOCK_NAME = ".lock"


class FolderBusyError(ValueError):
    """Another process holds the folder's lock, or the folder cannot be written."""


def lock_folder(folder: str | Path, what: str) -> IO[str] | None:
    """Create ``folder`` if needed and lock it; keep the returned handle open while writing.

    Args:
        folder: the output folder.
        what: the command, for the message ("ocrlite train").

    Returns:
        The open lock file (None where ``fcntl`` does not exist: no lock, as before).

    Raises:
        FolderBusyError: another process is writing there, or the folder cannot be created or written.
    """
    folder = Path(folder)
    return _locked(folder, folder / LOCK_NAME, f"{folder}: another {what} is writing to this folder")


def _locked(folder: Path, lock_path: Path, busy: str) -> IO[str] | None:
    """Create ``folder``, open ``lock_path`` and take an exclusive non-blocking ``flock`` on it.

    Returns the open handle (None where ``fcntl`` does not exist: no lock).

    Raises:
        FolderBusyError: ``busy`` when another process holds the lock; or the folder cannot be written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 - held open by the caller
    except OSError as err:
        raise FolderBusyError(f"{folder}: cannot write to this folder ({err.strerror or err})") from None
    try:
        import fcntl
    except ImportError:
        handle.close()
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise FolderBusyError(busy) from None
    return handle


def lock_target(target: str | Path, what: str) -> IO[str] | None:
    """Lock the output ``target`` (a folder that may not exist yet) through ``.NAME.lock`` beside it.

    For writers that build a whole output elsewhere and move it into place: two of them can never
    work on the same target at once. Remove the lock file with :func:`release_target` when done.

    Raises:
        FolderBusyError: another process holds it, or the parent folder cannot be written.
    """
    target = Path(target)
    return _locked(target.parent, target.parent / f".{target.name}.lock", f"{target}: another {what} is writing it")


def release_target(target: str | Path, handle: IO[str] | None) -> None:
    """Drop :func:`lock_target`'s lock and its file."""
    if handle is None:
        return
    try:
        Path(handle.name).unlink()
    except OSError:
        pass
    handle.close()
