"""Start uvicorn for ``ocrlite serve``: load the model and bind first (a bad model or a busy port is
one line, exit 2), then serve in this process or in ``workers`` processes that share the socket.

Several workers run under a small supervisor of our own (:func:`supervise`) rather than uvicorn's:
uvicorn's own binds a socket whose protocol number is 0, so asyncio never sets ``TCP_NODELAY`` on
its connections and every keep-alive answer waits ~40 ms for a delayed ACK (measured: 44 ms per
``/healthz`` against 1.5 ms). Ours shares the socket made here, a TCP one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import wait

from ocrlite.serve.config import ServeConfig

#: Hosts that only this machine can reach.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port).

    Raises:
        ValueError: the address cannot be used (in use, not this machine's, no permission), said in one line.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ValueError(f"--host {host}: not an address of this machine ({err.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as err:
        sock.close()
        raise ValueError(f"--host {host} --port {port}: cannot listen there ({err.strerror or err})") from None
    sock.set_inheritable(True)
    return sock


def protocol_for(config: ServeConfig) -> type:
    """uvicorn's HTTP protocol with the connection deadlines and caps of ``config``."""
    from ocrlite.serve.connections import guarded

    return guarded(config.header_timeout, config.max_client_connections, config.max_connections)


def serve(config: ServeConfig, host: str, port: int, workers: int = 1, access_log: bool = True,
          say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> int:
    """Serve until interrupted; the exit status.

    Raises:
        ValueError: a model or address that cannot be used (before anything listens).
    """
    import uvicorn

    from ocrlite.serve.app import create_app, load_serving_recognizer

    if config.threads is None:
        config = dataclasses.replace(config, threads=max(1, (os.cpu_count() or 1) // workers))
    if config.allowed_hosts is not None and host not in ("0.0.0.0", "::"):
        config = dataclasses.replace(config, allowed_hosts=sorted({*config.allowed_hosts, host.lower()}))
    recognizer = load_serving_recognizer(config)  # a bad --weights is one line, before the port is taken
    sock = bind(host, port)
    actual_host, actual_port = sock.getsockname()[:2]
    shown = f"[{actual_host}]" if ":" in actual_host else actual_host
    # Requests are admitted by the service's own queue (--queue), never by open sockets: idle connections
    # are bounded by the protocol's header deadline and per-client cap (ocrlite.serve.connections).
    common = dict(log_level="info", access_log=access_log, timeout_graceful_shutdown=5, limit_concurrency=None,
                  server_header=False)
    if workers == 1:
        server = uvicorn.Server(uvicorn.Config(create_app(config, recognizer), http=protocol_for(config), **common))
    else:
        del recognizer  # each worker loads its own
    if host not in LOOPBACK:
        if config.api_key is None:
            say(f"ocrlite serve: warning: listening on {host}, reachable from other machines, with no API key "
                f"(set OCRLITE_API_KEY, and put TLS in front: a proxy such as nginx or Caddy)")
    say(f"ocrlite serve: http://{shown}:{actual_port}/ ({workers} worker(s) × {config.threads} thread(s); "
        f"docs at /docs)")
    if workers == 1:
        server.run(sockets=[sock])
        return 0
    return supervise(config, sock, workers, common, say)


def _worker(config_json: str, sock: socket.socket, common: dict, state_dir: str) -> None:
    """One worker process: its own model, the shared socket; its requests in progress mirrored to ``state_dir``."""
    import uvicorn

    from ocrlite.serve.app import create_app

    config = ServeConfig.from_json(config_json)
    app = create_app(config, inflight_path=os.path.join(state_dir, f"worker-{os.getpid()}.json"))
    uvicorn.Server(uvicorn.Config(app, http=protocol_for(config), **common)).run(sockets=[sock])


#: A worker that dies is replaced at once, up to this many deaths per worker in a minute; past it, restarts
#: wait (doubling up to :data:`MAX_BACKOFF` seconds) — the service slows down, it does not end.
MAX_RESTARTS_PER_MINUTE = 5
MAX_BACKOFF = 60.0


def supervise(config: ServeConfig, sock: socket.socket, workers: int, common: dict,
              say: Callable[[str], None]) -> int:
    """Run ``workers`` worker processes on ``sock`` until SIGINT/SIGTERM; replace any that die, logging the
    requests each was reading when it died (:mod:`ocrlite.serve.inflight`)."""
    import shutil
    import tempfile

    from ocrlite.serve.inflight import describe_inflight

    context = multiprocessing.get_context("spawn")  # never fork a process that holds onnxruntime threads
    state_dir = tempfile.mkdtemp(prefix="ocrlite-serve-")

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(config.to_json(), sock, common, state_dir),
                                  name="ocrlite-serve-worker")
        process.start()
        return process

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    status, deaths = 0, deque()
    processes: list = [start() for _ in range(workers)]
    restart_at: dict[int, float] = {}
    backoff = 1.0
    try:
        while not stopping:
            wait([p.sentinel for p in processes if p is not None], timeout=0.5)
            now = time.monotonic()
            for k, process in enumerate(processes):
                if stopping:
                    break
                if process is None:
                    if now >= restart_at.get(k, 0.0):
                        processes[k] = start()
                    continue
                if process.is_alive():
                    continue
                deaths.append(now)
                while deaths and now - deaths[0] > 60:
                    deaths.popleft()
                record = os.path.join(state_dir, f"worker-{process.pid}.json")
                reading = describe_inflight(record)
                say(f"ocrlite serve: worker {process.pid} died (exit status {process.exitcode}) while reading "
                    + (f"{len(reading)} request(s):" if reading else "no request"))
                for line in reading:
                    say(f"ocrlite serve:   {line}")
                with contextlib.suppress(OSError):
                    os.unlink(record)
                if len(deaths) > MAX_RESTARTS_PER_MINUTE * workers:
                    say(f"ocrlite serve: {len(deaths)} worker deaths in the last minute; the next start waits "
                        f"{backoff:g} s (the requests above are the likely cause: keep them out)")
                    processes[k], restart_at[k] = None, now + backoff
                    backoff = min(MAX_BACKOFF, backoff * 2)
                else:
                    backoff = 1.0
                    say("ocrlite serve: starting another worker")
                    processes[k] = start()
    finally:
        alive = [p for p in processes if p is not None]
        for process in alive:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in progress
        for process in alive:
            process.join(10)
            if process.is_alive():
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        shutil.rmtree(state_dir, ignore_errors=True)
    return status
