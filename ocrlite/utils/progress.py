"""Progress bars (tqdm) on stderr that never stop the work they report on.

On a terminal the bar redraws in place; in a log file (``nohup ... > train.out``) each update is
its own line, at most every 10 s, so logs stay readable. When stderr goes away (a closed pipe,
``2>&1 | head -1``) the bar goes quiet and the work carries on.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


def write_stderr(text: str) -> bool:
    """Write to stderr; False (and nothing raised) when stderr is closed or a broken pipe.

    Progress and log lines are for a person watching: losing them must never stop the work
    (``ocrlite train ... 2>&1 | head -1`` keeps training).
    """
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
        return True
    except (OSError, ValueError):  # BrokenPipeError, EBADF, a closed stream
        return False


def format_seconds(seconds: float) -> str:
    """``3725`` → ``'1:02:05'`` (tqdm's own format)."""
    return tqdm.format_interval(max(0, int(seconds)))


class _QuietStderr:
    """A file for tqdm: stderr that swallows write errors, with carriage returns turned into
    newlines when stderr is not a terminal (one line per update in a log)."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.silent = False

    def write(self, text: str) -> None:
        if self.silent:
            return
        if not self.tty:
            text = text.replace("\r", "").replace("\x1b[A", "")
            if not text.strip():
                return
            text = text if text.endswith("\n") else text + "\n"
        self.silent = not write_stderr(text)

    def flush(self) -> None:
        pass


class Progress:
    """Progress over ``total`` units with extra ``key=value`` fields (rate and ETA from tqdm).

    Args:
        total: units of work.
        desc: label shown first.
        unit: name of a unit (for the rate).
        interval: seconds between redraws (not a terminal: at least 10 s).
        initial: units already done (a resumed run).
    """

    def __init__(self, total: int, desc: str = "", unit: str = "it", interval: float = 0.5, initial: int = 0) -> None:
        try:
            tty = sys.stderr.isatty()
        except (OSError, ValueError):
            tty = False
        self.file = _QuietStderr(tty)
        self.bar = tqdm(total=total, desc=desc, unit=unit, initial=initial, file=self.file, dynamic_ncols=tty,
                        ncols=None if tty else 140, mininterval=interval if tty else max(interval, 10.0),
                        maxinterval=interval if tty else 60.0, ascii=not tty, leave=True)

    @property
    def n(self) -> int:
        return int(self.bar.n)

    @property
    def silent(self) -> bool:
        return self.file.silent

    def update(self, n: int = 1, **fields: object) -> None:
        """Advance by ``n`` and set extra ``key=value`` fields."""
        if fields:
            self.bar.set_postfix({k: str(v) for k, v in fields.items()}, refresh=False)
        self.bar.update(n)

    def rate(self) -> float:
        elapsed = self.bar.format_dict.get("elapsed") or 0.0
        return (self.bar.n - self.bar.initial) / elapsed if elapsed > 0 else 0.0

    def close(self) -> None:
        self.bar.close()
