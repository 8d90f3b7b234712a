"""Start uvicorn for ``ocrlite serve``: bind first (a busy port is one line, exit 2), load the model
before listening, then serve with one process or a supervisor of ``workers`` processes.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable

from ocrlite.serve.config import CONFIG_ENV, ServeConfig

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


def serve(config: ServeConfig, host: str, port: int, workers: int = 1, access_log: bool = True,
          say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> int:
    """Serve until interrupted; the exit status.

    Raises:
        ValueError: a model or address that cannot be used (before anything listens).
    """
    import uvicorn

    from ocrlite.serve.app import create_app, load_serving_recognizer

    if config.threads is None:
        config = ServeConfig(**{**config.__dict__, "threads": max(1, (os.cpu_count() or 1) // workers)})
    recognizer = load_serving_recognizer(config)  # a bad --weights is one line, before the port is taken
    sock = bind(host, port)
    actual_host, actual_port = sock.getsockname()[:2]
    shown = f"[{actual_host}]" if ":" in actual_host else actual_host
    common = dict(log_level="info", access_log=access_log, timeout_graceful_shutdown=5,
                  # connections (idle keep-alives too) past this get uvicorn's own 503: a bound on sockets
                  limit_concurrency=4 * config.queue * workers + 16, server_header=False)
    if workers == 1:
        server = uvicorn.Server(uvicorn.Config(create_app(config, recognizer), **common))
    else:
        del recognizer  # each worker loads its own
        os.environ[CONFIG_ENV] = config.to_env()
    if host not in LOOPBACK:
        say(f"ocrlite serve: warning: listening on {host}, reachable from other machines; the service has no "
            f"authentication (put it behind your own proxy)")
    say(f"ocrlite serve: http://{shown}:{actual_port}/ ({workers} worker(s) × {config.threads} thread(s); "
        f"docs at /docs)")
    if workers == 1:
        server.run(sockets=[sock])
    else:  # uvicorn's supervisor binds the (now known) port itself and hands it to its workers
        sock.close()
        uvicorn.run("ocrlite.serve.app:create_app_from_env", factory=True, host=host, port=actual_port,
                    workers=workers, **common)
    return 0
