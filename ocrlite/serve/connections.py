"""Connections that cannot hold the service: a deadline for a request's headers, a cap per client address
and in all, and overload answered in the service's JSON with ``Retry-After``.

uvicorn closes a keep-alive connection that stays idle after a response (``timeout_keep_alive``), but a
connection that never sends a complete request head — idle from the start, or a header line every few
seconds — is held forever, and its ``limit_concurrency`` counts such sockets, so a few hundred of them made
every request (``/healthz`` too) a plain-text 503. Here:

- a connection must complete its request head within ``header_timeout`` seconds of opening, and again after
  each response (a keep-alive connection that starts a new request); otherwise it is closed;
- one client address may hold ``max_per_client`` connections of a worker, all clients ``max_connections``;
  one more is answered ``503`` in JSON with ``Retry-After`` and closed at once;
- idle connections are not counted against recognition: requests are admitted by the service's own queue
  (``--queue``), never by the number of open sockets.

The body is bounded by the request's own ``--timeout`` (the upload is read inside it).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a connection has to send a complete request head.
HEADER_TIMEOUT = 10.0
#: Connections one client address may hold open on one worker.
MAX_PER_CLIENT = 32
#: Connections one worker holds open in all.
MAX_CONNECTIONS = 1024
#: Seconds a refused client is asked to wait.
RETRY_AFTER = 5


def refusal(reason: str) -> bytes:
    """A complete ``503`` HTTP/1.1 answer in the service's JSON error format, closing the connection."""
    body = json.dumps({"detail": reason}).encode()
    return (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            + f"retry-after: {RETRY_AFTER}\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n".encode() + body)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the module's deadlines and caps (class attributes; see :func:`guarded`)."""

    header_timeout: float = HEADER_TIMEOUT
    max_per_client: int = MAX_PER_CLIENT
    max_connections: int = MAX_CONNECTIONS
    #: open connections per client address, in this worker process
    open_per_client: Counter = Counter()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._address = self.client[0] if self.client else ""
        self.open_per_client[self._address] += 1
        if self.open_per_client[self._address] > self.max_per_client:
            self._refuse(f"too many connections from {self._address} (at most {self.max_per_client}); retry later")
        elif len(self.connections) > self.max_connections:
            self._refuse(f"the server holds its most connections ({self.max_connections}); retry later")
        else:
            self._arm()

    def _refuse(self, reason: str) -> None:
        self.logger.warning("refused a connection: %s", reason)
        self.transport.write(refusal(reason))
        self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_deadline)

    def _disarm(self) -> None:
        if getattr(self, "_header_timer", None) is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_deadline(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.transport.close()  # no complete request head in time: idle or dripping

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the head is in; the request's own --timeout bounds the rest

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if getattr(self, "_address", None) is not None:
            self.open_per_client[self._address] -= 1
            if self.open_per_client[self._address] <= 0:
                del self.open_per_client[self._address]
            self._address = None
        super().connection_lost(exc)


def guarded(header_timeout: float = HEADER_TIMEOUT, max_per_client: int = MAX_PER_CLIENT,
            max_connections: int = MAX_CONNECTIONS) -> type[GuardedH11Protocol]:
    """The protocol class for uvicorn's ``http=`` with these limits."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {
        "header_timeout": header_timeout, "max_per_client": max_per_client, "max_connections": max_connections,
        "open_per_client": Counter()})
