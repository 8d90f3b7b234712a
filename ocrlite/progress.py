"""A small stderr progress bar (rate, ETA, extra fields) that degrades to periodic lines when not a TTY."""

from __future__ import annotations

import sys
import time


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
    """``3725`` → ``'1:02:05'``."""
    seconds = int(max(0, seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """Progress over ``total`` units.

    Args:
        total: units of work.
        desc: label shown first.
        unit: name of a unit (for the rate).
        interval: seconds between redraws (non-TTY: between lines, at least 10 s).
    """

    def __init__(self, total: int, desc: str = "", unit: str = "it", interval: float = 0.5, initial: int = 0) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.tty = sys.stderr.isatty()
        self.interval = interval if self.tty else max(interval, 10.0)
        self.start = time.perf_counter()
        self.initial = self.n = initial
        self._last = 0.0
        self.fields: dict[str, str] = {}
        self.silent = False  # set when stderr stops accepting output

    def update(self, n: int = 1, **fields: object) -> None:
        """Advance by ``n`` and set extra ``key=value`` fields."""
        self.n += n
        self.fields.update({k: str(v) for k, v in fields.items()})
        now = time.perf_counter()
        if now - self._last >= self.interval or self.n >= self.total:
            self._last = now
            self._draw(now)

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.start
        return (self.n - self.initial) / elapsed if elapsed > 0 else 0.0

    def _draw(self, now: float) -> None:
        rate = self.rate()
        eta = (self.total - self.n) / rate if rate > 0 else 0
        frac = self.n / self.total if self.total else 1.0
        bar = "#" * int(frac * 20)
        extra = " ".join(f"{k}={v}" for k, v in self.fields.items())
        line = (f"{self.desc} [{bar:<20}] {self.n}/{self.total} {rate:.1f} {self.unit}/s "
                f"elapsed {format_seconds(now - self.start)} eta {format_seconds(eta)} {extra}").rstrip()
        if not self.silent:
            self.silent = not write_stderr("\r" + line[:200] + "\x1b[K" if self.tty else line + "\n")

    def close(self) -> None:
        if self._last == 0.0 or self.n < self.total:
            self._draw(time.perf_counter())
        if self.tty and not self.silent:
            write_stderr("\n")
