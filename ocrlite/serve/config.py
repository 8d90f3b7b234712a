"""Settings of one ``ocrlite serve`` process, and how they reach uvicorn's worker processes."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass

#: Environment variable that carries the settings to each worker process (``--workers N``).
CONFIG_ENV = "OCRLITE_SERVE_CONFIG"


@dataclass(frozen=True)
class ServeConfig:
    """What ``ocrlite serve`` was started with (see ``ocrlite serve --help``).

    Attributes:
        weights: the ``.onnx`` model file (None: the shipped default).
        threads: onnxruntime threads of each worker's recognizer (None: 1 per worker and core).
        max_bytes: a request body larger than this is answered 413 before it is read further.
        max_pixels: an image with more pixels than this is answered 413 before it is decoded.
        max_files: line images one ``/v1/lines`` request may carry.
        timeout: seconds a request may take, upload included, before it is answered 503.
        queue: requests a worker holds at once (reading, waiting or being recognised); one more is answered
            503 with ``Retry-After`` instead of waiting without end.
        batch_size: lines one recognition batch holds (requests that arrive together are read together).
    """

    weights: str | None = None
    threads: int | None = None
    max_bytes: int = 16 << 20
    max_pixels: int = 40_000_000
    max_files: int = 64
    timeout: float = 30.0
    queue: int = 32
    batch_size: int = 32

    def to_env(self) -> str:
        """The settings as JSON, for :data:`CONFIG_ENV`."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> ServeConfig:
        """The settings a parent ``ocrlite serve`` put in :data:`CONFIG_ENV` (defaults when unset)."""
        text = os.environ.get(CONFIG_ENV)
        return cls(**json.loads(text)) if text else cls()
