"""``ocrlite serve``: the HTTP service."""

from __future__ import annotations

import argparse
import math
import os

from ocrlite.utils.limits import MAX_THREADS
from ocrlite.cli.common import print_error, at_least, HelpFormatter


#: ``--timeout`` above an hour is a typo (and 1e10 s overflows the event loop's timer).
MAX_TIMEOUT = 3600


def add(sub: argparse._SubParsersAction) -> None:
    from ocrlite.serve.config import ServeConfig

    d = ServeConfig()
    p = sub.add_parser(
        "serve",
        help="an HTTP service that reads lines and pages, with a page to try it at / (needs ocrlite[serve])",
        description="Serve the recognizer over HTTP: POST /v1/lines (one or more line images), POST /v1/page "
        "(a page image), GET /healthz, GET /v1/models, OpenAPI docs at /docs, and a page to drop an image on at /. "
        "Images go in multipart fields named 'file'. Binds to this machine only unless --host says otherwise.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface — the "
                   "service has no authentication)")
    p.add_argument("--port", type=at_least(0, 65535), default=8000, help="TCP port (0: any free port, printed)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a name clients may reach the server by besides localhost and --host (repeatable; the Host "
                   "header of every request is checked, so a web page cannot rebind a name to this server)")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="an origin (https://app.example) whose web pages may POST here (repeatable; other "
                   "cross-origin browser posts are refused)")
    p.add_argument("--weights", default=None, help="an .onnx model or a shipped model by name: default, fast (default: the default model)")
    p.add_argument("--workers", type=at_least(1, 64), default=1,
                   help="processes, each with its own copy of the model (docs/serve.md: how many for 2 or 16 cores)")
    p.add_argument("--threads", type=at_least(1, MAX_THREADS), default=None,
                   help="onnxruntime threads per worker (default: cores / workers)")
    p.add_argument("--max-bytes", type=at_least(1), default=d.max_bytes, help="largest request body in bytes (413)")
    p.add_argument("--max-pixels", type=at_least(1), default=d.max_pixels,
                   help="largest image in pixels, checked before decoding (413)")
    p.add_argument("--max-files", type=at_least(1, 1024), default=d.max_files, help="line images per /v1/lines request")
    p.add_argument("--max-pages", type=at_least(1, 10_000), default=d.max_pages,
                   help="PDF pages one /v1/page request may read (more: 413 unless ?pages= picks some)")
    p.add_argument("--dpi", type=float, default=d.dpi, help="resolution PDF pages are rendered at")
    p.add_argument("--header-timeout", type=float, default=d.header_timeout,
                   help="seconds a connection has to send its request head; idle or slow connections are closed")
    p.add_argument("--max-client-connections", type=at_least(1, 65536), default=d.max_client_connections,
                   help="connections one client address may hold open per worker (one more: 503 with Retry-After)")
    p.add_argument("--max-connections", type=at_least(1, 65536), default=d.max_connections,
                   help="connections a worker holds open in all (one more: 503 with Retry-After)")
    p.add_argument("--timeout", type=float, default=d.timeout, help="seconds a request may take, upload included (503)")
    p.add_argument("--queue", type=at_least(1, 4096), default=d.queue,
                   help="requests a worker holds at once; one more is answered 503 with Retry-After")
    p.add_argument("--batch-size", type=at_least(1), default=d.batch_size, help="lines per recognition batch")
    p.add_argument("--max-beam-work", type=at_least(1), default=d.max_beam_work, metavar="N",
                   help="beam width × columns one request's beam search may cost; more is answered 413")
    p.add_argument("--no-access-log", dest="access_log", action="store_false", help="do not log each request (logged unless given)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ocrlite.utils.extras import MissingExtraError, available, require

    try:
        for module in ("fastapi", "uvicorn", "fastapi_offline"):
            require(module, "ocrlite serve")
        if not (available("python_multipart") or available("multipart")):  # its module's name until 0.0.13
            require("python_multipart", "ocrlite serve")
    except MissingExtraError as err:
        print_error(str(err))
        return 2
    if not math.isfinite(args.header_timeout) or not 0 < args.header_timeout <= MAX_TIMEOUT:
        print_error(f"--header-timeout must be a number of seconds in (0, {MAX_TIMEOUT}], got {args.header_timeout}")
        return 2
    if not math.isfinite(args.dpi) or not 10 <= args.dpi <= 1200:
        print_error(f"--dpi must be between 10 and 1200, got {args.dpi}")
        return 2
    if not math.isfinite(args.timeout) or not 0 < args.timeout <= MAX_TIMEOUT:
        print_error(f"--timeout must be a number of seconds in (0, {MAX_TIMEOUT}], got {args.timeout}")
        return 2
    from ocrlite.serve.config import ServeConfig
    from ocrlite.serve.run import serve

    config = ServeConfig(weights=args.weights, threads=args.threads, max_bytes=args.max_bytes,
                         max_pixels=args.max_pixels, max_files=args.max_files, max_pages=args.max_pages,
                         dpi=args.dpi, timeout=args.timeout, header_timeout=args.header_timeout,
                         max_client_connections=args.max_client_connections, max_connections=args.max_connections,
                         queue=args.queue, batch_size=args.batch_size, max_beam_work=args.max_beam_work,
                         allowed_hosts=None if args.host in ("0.0.0.0", "::") and not args.allow_host else
                         ["localhost", "127.0.0.1", "::1", *[h.lower() for h in args.allow_host]],
                         allowed_origins=list(args.allow_origin), api_key=os.environ.get("OCRLITE_API_KEY") or None)
    try:
        return serve(config, args.host, args.port, args.workers, args.access_log)
    except ValueError as err:
        print_error(str(err))
        return 2
