"""Settings of one ``ocrlite serve`` process, and how they reach its worker processes."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ServeConfig:
    """What ``ocrlite serve`` was started with (see ``ocrlite serve --help``).

    Attributes:
        weights: the ``.onnx`` model file (None: the shipped default).
        threads: onnxruntime threads of each worker's recognizer (None: 1 per worker and core).
        max_bytes: a request body larger than this is answered 413 before it is read further.
        max_pixels: an image with more pixels than this is answered 413 before it is decoded.
        max_files: line images one ``/v1/lines`` request may carry.
        max_pages: PDF pages one ``/v1/page`` request may read (a larger PDF needs ``?pages=``; 413 otherwise).
        dpi: the resolution PDF pages are rendered at (lowered to stay under ``max_pixels``).
        timeout: seconds a request may take, upload included, before it is answered 503.
        queue: requests a worker holds at once (reading, waiting or being recognised); one more is answered
            503 with ``Retry-After`` instead of waiting without end.
        batch_size: lines one recognition batch holds (requests that arrive together are read together).
        max_beam_work: beam width × columns one request's beam search may cost (413 above it): 2 M is beam 8
            over ~250 lines of 1,000 columns; beam 128 over 64 such lines (8 M, about 100 s of the one
            recognition thread) is refused.
        allowed_hosts: the names a request's ``Host`` header may carry (None: any). A local server
            answers only to its own names, so a web page that rebinds its DNS name to 127.0.0.1 cannot read it.
        allowed_origins: origins (``https://app.example``) whose pages may POST here; a browser's
            cross-origin POST from any other page is refused (same-origin posts and non-browser clients pass).
        api_key: when set, every POST must carry it in ``X-API-Key`` (or ``Authorization: Bearer``).
        header_timeout: seconds a connection has to send a complete request head (then again after each
            response); an idle or dripping connection is closed after it (:mod:`ocrlite.serve.connections`).
        max_client_connections: connections one client address may hold open on a worker (one more: 503).
        max_connections: connections a worker holds open in all (one more: 503).
    """

    weights: str | None = None
    threads: int | None = None
    max_bytes: int = 16 << 20
    max_pixels: int = 40_000_000
    max_files: int = 64
    max_pages: int = 20
    dpi: float = 300.0
    timeout: float = 30.0
    queue: int = 32
    batch_size: int = 32
    max_beam_work: int = 2_000_000
    allowed_hosts: list[str] | None = None
    allowed_origins: list[str] = dataclasses.field(default_factory=list)
    api_key: str | None = None
    header_timeout: float = 10.0
    max_client_connections: int = 32
    max_connections: int = 1024

    def to_json(self) -> str:
        """The settings as JSON (what a worker process is started with)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        """The settings :meth:`to_json` wrote."""
        return cls(**json.loads(text))
