"""The errors a request can get: each is an HTTP status and one sentence naming the problem."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as ``{"detail": message}`` with ``status`` (and ``headers``, e.g. ``Retry-After``).

    400 malformed input · 413 over a size limit · 415 not an image of an allowed format ·
    422 a missing field or a bad option · 503 too busy or too slow (retry later).
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def retry_later(message: str, seconds: int = 1) -> ApiError:
    """A 503 that tells the client when to try again."""
    return ApiError(503, message, {"Retry-After": str(seconds)})
