"""What a worker is reading, kept where its supervisor can read it after the worker dies.

Each worker mirrors its POST requests in progress — route, client, size, and once parsed the uploads'
names, sizes and SHA-256 prefixes — to ``worker-PID.json`` in the supervisor's state folder (written
beside and renamed in, so a half-written file is never read). When a worker dies, the supervisor logs
those requests: the input that killed it is named, so it can be found and kept out.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path


class InFlight:
    """This worker's requests in progress; ``path`` None keeps them in memory only (a single-process server)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self.requests: dict[int, dict] = {}

    def start(self, key: int, method: str, route: str, client: str, length: str | None) -> None:
        self.requests[key] = {"method": method, "path": route, "client": client, "bytes": length,
                              "since": round(time.time(), 3)}
        self._write()

    def note_uploads(self, key: int, uploads: list) -> None:
        """Name the request's uploads (name, size, SHA-256 prefix) once they are read."""
        if key in self.requests:
            self.requests[key]["uploads"] = [
                {"name": u.name, "bytes": len(u.data), "sha256": hashlib.sha256(u.data).hexdigest()[:16]}
                for u in uploads[:8]]
            self._write()

    def end(self, key: int) -> None:
        if self.requests.pop(key, None) is not None:
            self._write()

    def _write(self) -> None:
        if self.path is None:
            return
        try:
            fd, tmp = tempfile.mkstemp(prefix=".inflight.", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(list(self.requests.values()), f)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a full or vanished state folder must never fail a request


def describe_inflight(path: str | Path) -> list[str]:
    """One line per request a dead worker was reading (from its ``worker-PID.json``), or none."""
    try:
        requests = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    lines = []
    for r in requests if isinstance(requests, list) else []:
        uploads = ", ".join(f"{u.get('name')!r} ({u.get('bytes')} bytes, sha256 {u.get('sha256')}…)"
                            for u in r.get("uploads", [])) or f"a body of {r.get('bytes') or '?'} bytes, not yet read"
        lines.append(f"{r.get('method')} {r.get('path')} from {r.get('client')}: {uploads}")
    return lines
