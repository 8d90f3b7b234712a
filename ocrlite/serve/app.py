"""The ASGI application of ``ocrlite serve``: routes, admission, time limits, JSON errors.

Each worker process loads the model once (at start-up) and reads with one :class:`Batcher` thread;
decoding and page layout run in a small thread pool, never on the event loop.

Routes: ``POST /v1/lines``, ``POST /v1/page``, ``GET /healthz``, ``GET /v1/models``, ``GET /`` (the
page a person uses), ``/docs`` (OpenAPI, served from the package: works offline).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import logging
import os
import time
from dataclasses import dataclass
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import asynccontextmanager
from importlib import resources
from typing import Literal

import numpy as np
from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from ocrlite.utils.version import __version__
from ocrlite.recognition.decode import DecodeBudgetError, Prediction, class_mask
from ocrlite.utils.limits import MAX_BEAM_WIDTH
from ocrlite.utils.memory import release_memory
from ocrlite.recognition.preprocess import ImageTooWideError, prepare
from ocrlite.serve.batcher import Batcher, BatcherClosed, DecoderOptions
from ocrlite.serve.config import ServeConfig
from ocrlite.serve.errors import ApiError, retry_later
from ocrlite.serve.inflight import InFlight
from ocrlite.serve.uploads import FIELD, decode_upload, read_uploads

log = logging.getLogger("ocrlite.serve")

#: Headers of every answer.
BASE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
#: And of the page at ``/``: its script and style are files of this server (no inline code, nothing from outside).
SECURITY_HEADERS = {**BASE_HEADERS,
                    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; "
                                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"}
#: The OpenAPI description of the two upload routes' bodies (the handlers read the body themselves, so
#: its size is counted as it arrives; FastAPI would read it whole first).
UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": [FIELD], "properties": {
        FIELD: {"type": "array", "items": {"type": "string", "format": "binary"},
                "description": "image file(s): PNG, JPEG, BMP, TIFF, GIF, WEBP or PNM"}}}},
    "image/*": {"schema": {"type": "string", "format": "binary"}}}}}


@dataclass
class Load:
    """This worker's upload requests in progress, and how many were refused as over ``limit``."""

    limit: int
    in_flight: int = 0
    refused: int = 0


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def refuse_request(scope, config: ServeConfig) -> tuple[int, str] | None:
    """Why a request is refused before it reaches a route — a foreign ``Host`` (DNS rebinding), a cross-origin
    browser POST, a missing API key — as ``(status, message)``, or None."""
    if config.allowed_hosts is not None:
        host = (_header(scope, b"host") or "").strip().lower()
        name = host[1:].split("]")[0] if host.startswith("[") else host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if name not in config.allowed_hosts:
            return 421, (f"Host {host or '(none)'!r} is not a name of this server; start it with --allow-host NAME "
                         f"to answer to that name")
    if scope["method"] == "POST":
        origin = _header(scope, b"origin")
        if origin and origin != "null":
            own = f"{scope.get('scheme', 'http')}://{_header(scope, b'host') or ''}".lower()
            if origin.lower() != own and origin not in config.allowed_origins:
                return 403, f"cross-origin POST from {origin} refused; start the server with --allow-origin {origin}"
        if config.api_key is not None:
            given = _header(scope, b"x-api-key")
            bearer = _header(scope, b"authorization") or ""
            if given is None and bearer.lower().startswith("bearer "):
                given = bearer[7:].strip()
            if given is None or not hmac.compare_digest(given.encode(), config.api_key.encode()):
                return 401, "this server needs its API key in the X-API-Key header"
    return None


class Guard:
    """Pure ASGI middleware, outermost: admission and security headers.

    At most ``load.limit`` POST requests at once per worker; one more is answered 503 with
    ``Retry-After`` before its body is read, so a flood of uploads never queues without end.
    """

    def __init__(self, app, load: Load, config: ServeConfig | None = None, inflight: InFlight | None = None) -> None:
        self.app = app
        self.load = load
        self.config = config or ServeConfig()
        self.inflight = inflight or InFlight()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(SECURITY_HEADERS if scope["path"] in ("/", "") else BASE_HEADERS)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode(), v.encode()) for k, v in extra.items() if k.lower().encode() not in present]
            await send(message)

        refusal = refuse_request(scope, self.config)
        if refusal is not None:
            await JSONResponse({"detail": refusal[1]}, refusal[0])(scope, receive, send_with_headers)
            return
        if scope["method"] != "POST":
            await self.app(scope, receive, send_with_headers)
            return
        if self.load.in_flight >= self.load.limit:
            self.load.refused += 1
            response = JSONResponse({"detail": f"the server is busy ({self.load.limit} requests in progress, "
                                     f"--queue); retry later"}, 503, {"Retry-After": "1"})
            await response(scope, receive, send_with_headers)
            return
        self.load.in_flight += 1
        client = scope.get("client") or ("?", 0)
        self.inflight.start(id(scope), "POST", scope["path"], str(client[0]), _header(scope, b"content-length"))
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self.load.in_flight -= 1
            self.inflight.end(id(scope))


class _QueuedRecognizer:
    """What :func:`ocrlite.pages.reader.read_page` needs of a recognizer, reading through the batcher (from a pool thread)."""

    def __init__(self, batcher: Batcher, options: DecoderOptions, deadline: float, max_pixels: int) -> None:
        self.preprocess = batcher.recognizer.preprocess
        self.width_stride = batcher.recognizer.width_stride  # model input columns per output frame (word boxes)
        self.max_pixels = max_pixels  # the server's own --max-pixels: a page it decoded is never refused after
        self._batcher = batcher
        self._options = options
        self._deadline = deadline

    def predict_sorted(self, prepared: list[np.ndarray], batch_size: int) -> list[Prediction]:
        future = self._batcher.submit(prepared, self._options)
        try:
            return future.result(timeout=max(0.0, self._deadline - time.monotonic()))
        except FutureTimeout:
            future.cancel()
            raise


def _prediction_json(pred: Prediction) -> dict:
    return {"text": pred.text, "confidence": round(pred.confidence, 4),
            "char_confidences": [round(c, 4) for c in pred.char_confidences]}


def _model_json(rec, name: str) -> dict:
    return {"name": name, "file": os.path.basename(str(getattr(rec, "path", "") or "")) or None,
            "engine": type(rec).__name__, "int8": getattr(rec, "int8", None),
            "backbone": getattr(rec, "model_info", {}).get("backbone"),
            "model": getattr(rec, "model_info", {}), "charset": "".join(rec.charset.chars),
            "num_classes": rec.charset.num_classes, "preprocess": dataclasses.asdict(rec.preprocess)}


def load_serving_recognizer(config: ServeConfig):
    """The ONNX recognizer a worker serves (torch is never imported).

    Raises:
        ValueError: the model file is missing, not ONNX or not an ocrlite model.
    """
    from ocrlite.api import load_recognizer

    from ocrlite.recognition.zoo import SHIPPED_MODELS

    if config.weights is not None and not str(config.weights).lower().endswith(".onnx") \
            and str(config.weights) not in SHIPPED_MODELS:
        raise ValueError(f"--weights {config.weights}: ocrlite serve runs ONNX models (export a .pt with "
                         f"`ocrlite export`)")
    return load_recognizer(config.weights, "onnx", config.threads or 1)


def create_app(config: ServeConfig | None = None, recognizer=None, inflight_path: str | None = None) -> FastAPIOffline:
    """The service for ``config`` (None: defaults); ``recognizer`` reuses an open one (else loaded at start-up);
    ``inflight_path``: where this worker mirrors its requests in progress for its supervisor
    (:mod:`ocrlite.serve.inflight`)."""
    config = config or ServeConfig()
    state: dict = {}
    inflight = InFlight(inflight_path)

    @asynccontextmanager
    async def lifespan(app) -> AsyncIterator[None]:
        import cv2

        cv2.setNumThreads(1)  # this process batches lines itself; OpenCV threads would contend with onnxruntime's
        rec = recognizer or load_serving_recognizer(config)
        state["name"] = os.path.splitext(os.path.basename(str(getattr(rec, "path", "") or "model")))[0]
        state["batcher"] = Batcher(rec, config.batch_size, max_beam_work=config.max_beam_work).start()
        # Lines and pages decode in pools of their own: a page holds its thread while its lines are read,
        # and must never keep a one-line request from being decoded.
        size = max(2, config.threads or 1)
        state["lines_pool"] = ThreadPoolExecutor(size, thread_name_prefix="ocrlite-lines")
        state["pages_pool"] = ThreadPoolExecutor(size, thread_name_prefix="ocrlite-pages")
        state["started"] = time.time()
        try:
            yield
        finally:
            state["batcher"].close(timeout=1.0)  # its thread is a daemon: a long batch never holds the exit
            for pool in ("lines_pool", "pages_pool"):
                state[pool].shutdown(wait=False, cancel_futures=True)

    app = FastAPIOffline(title="ocrlite", version=__version__, lifespan=lifespan,
                         description="Light CRNN OCR: text lines and whole pages. Send images as multipart "
                         f"fields named `{FIELD}`.")
    load = Load(config.queue)
    app.add_middleware(Guard, load=load, config=config, inflight=inflight)
    app.mount("/static", StaticFiles(packages=[("ocrlite.serve", "static")]), name="static")

    def options(decoder: Literal["greedy", "beam"] = "greedy", beam_width: int = Query(8, ge=1, le=MAX_BEAM_WIDTH),
                allow: str | None = None, block: str | None = None, ascii: bool = False,
                strip_accents: bool = False) -> DecoderOptions:
        """``predict``'s decoding options as query parameters (a FastAPI dependency of both POST routes)."""
        rec = state["batcher"].recognizer
        try:
            class_mask(rec.charset, allow or None, block or None)
        except ValueError as err:
            raise ApiError(422, str(err).replace("--allow", "allow").replace("--block", "block")) from None
        return DecoderOptions(decoder, beam_width, allow or None, block or None, ascii, strip_accents)

    async def run_in_pool(pool: str, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(state[pool], fn, *args)

    async def limited(work):
        try:
            async with asyncio.timeout(config.timeout):
                return await work
        except (TimeoutError, FutureTimeout):
            raise retry_later(f"the request took longer than the {config.timeout:g} s limit (--timeout)") from None
        except BatcherClosed as err:
            raise retry_later(str(err)) from None
        except asyncio.CancelledError:
            # uvicorn cancels the requests still running when its graceful shutdown window ends (SIGTERM):
            # answer them in JSON with Retry-After (another worker or the restarted server reads them)
            raise retry_later("the server is shutting down") from None

    def prepare_line(upload) -> np.ndarray:
        gray = decode_upload(upload, config.max_pixels)
        try:
            return prepare(gray, state["batcher"].recognizer.preprocess)
        except ImageTooWideError as err:
            raise ApiError(413, f"{upload.name}: {err}") from None

    @app.post("/v1/lines", openapi_extra=UPLOAD_BODY, summary="Read text-line images",
              response_description='{"lines": [{"text", "confidence", "char_confidences"}, …]} in input order')
    async def read_lines(request: Request, opts: DecoderOptions = Depends(options)) -> dict:
        """One or more line images (a cropped line of text each) → their text, in input order."""

        async def work() -> dict:
            uploads = await read_uploads(request, config.max_bytes, config.max_files)
            inflight.note_uploads(id(request.scope), uploads)
            prepared = [await run_in_pool("lines_pool", prepare_line, u) for u in uploads]
            predictions = await asyncio.wrap_future(state["batcher"].submit(prepared, opts))
            return {"lines": [_prediction_json(p) for p in predictions]}

        return await limited(work())

    @app.post("/v1/page", openapi_extra=UPLOAD_BODY, summary="Read a whole page",
              response_description='{"text", "rotated_180", "lines": [{"box", "text", "confidence"}, …]}')
    async def read_page(request: Request, opts: DecoderOptions = Depends(options),
                        pages: str | None = Query(None, max_length=200, description=(
                            "for a PDF: the pages to read, e.g. 1-3,7 (default: all, up to the server's --max-pages)"))
                        ) -> dict:
        """One page image (scan, photo, screenshot) → its lines in reading order with their boxes and words;
        a PDF → each of its pages so (``{"pages": [...]}``)."""
        deadline = time.monotonic() + config.timeout

        def read_gray(gray: np.ndarray) -> dict:
            from ocrlite.pages.reader import read_page as find_and_read
            from ocrlite.pages.reader import read_page_with_detector, resolve_detector

            if time.monotonic() > deadline:  # the client has had its 503: start no more work for it
                raise FutureTimeout()

            if "detector" not in state:
                state["detector"] = resolve_detector("auto")
            reader = _QueuedRecognizer(state["batcher"], opts, deadline, config.max_pixels)
            if state["detector"] == "classic":
                result = find_and_read(reader, gray, batch_size=config.batch_size)
            else:
                result = read_page_with_detector(reader, state["detector"], gray, batch_size=config.batch_size)
            return {"text": result.text, "rotated_180": result.rotated_180, "rotation": result.rotation,
                    "detector": result.detector, "skew_degrees": round(result.skew, 2),
                    "width": int(gray.shape[1]), "height": int(gray.shape[0]), "no_text": not result.lines,
                    "lines": [line.to_dict() for line in result.lines]}

        def read(upload) -> dict:
            try:
                return read_document(upload)
            finally:
                release_memory()  # a page's decode and detection leave hundreds of MB in glibc's arenas

        def read_document(upload) -> dict:
            if b"%PDF-" not in upload.data[:1024]:
                if pages:
                    raise ApiError(400, f"{upload.name}: pages= is for PDF documents")
                return read_gray(decode_upload(upload, config.max_pixels))
            from ocrlite.inputs.pdf import PdfError, render_pages

            results = []
            try:
                for rendered in render_pages(upload.data, pages, config.dpi, config.max_pixels, name=upload.name,
                                             max_count=config.max_pages):
                    if rendered.error:
                        results.append({"page": rendered.number, "error": rendered.error})
                        continue
                    results.append({"page": rendered.number, "dpi": round(rendered.dpi, 1), **read_gray(rendered.image)})
            except PdfError as err:
                raise ApiError(413 if "over the limit" in str(err) else 400, str(err)) from None
            except ValueError as err:
                raise ApiError(400, f"{upload.name}: {err}".replace("--pages", "pages=")) from None
            return {"text": "\f".join(r.get("text", "") for r in results), "pages": results}

        async def work() -> dict:
            uploads = await read_uploads(request, config.max_bytes, 1)
            inflight.note_uploads(id(request.scope), uploads)
            return await run_in_pool("pages_pool", read, uploads[0])

        return await limited(work())

    @app.get("/healthz", summary="Liveness and load")
    async def healthz() -> dict:
        """``ok`` once the model is loaded, with this worker's requests in progress and batching so far."""
        batcher = state["batcher"]
        return {"status": "ok", "model": state["name"], "pid": os.getpid(), "in_flight": load.in_flight,
                "queue_limit": config.queue, "refused_busy": load.refused,
                "uptime_s": round(time.time() - state["started"], 1), "batches": dataclasses.asdict(batcher.stats)}

    @app.get("/v1/models", summary="The model this server reads with")
    async def models() -> dict:
        """The model's name, backbone, charset and preprocessing, and the server's limits."""
        return {"models": [_model_json(state["batcher"].recognizer, state["name"])],
                "limits": {"max_bytes": config.max_bytes, "max_pixels": config.max_pixels,
                           "max_files": config.max_files, "timeout_s": config.timeout, "queue": config.queue}}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        page = resources.files("ocrlite.serve").joinpath("static/index.html").read_text(encoding="utf-8")
        return HTMLResponse(page)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, err: ApiError) -> JSONResponse:
        return JSONResponse({"detail": err.message}, err.status, err.headers)

    @app.exception_handler(DecodeBudgetError)
    async def over_budget(request: Request, err: DecodeBudgetError) -> JSONResponse:
        return JSONResponse({"detail": f"{err} (the server's --max-beam-work)"}, 413)

    @app.exception_handler(RequestValidationError)
    async def bad_option(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "body"))
        return JSONResponse({"detail": f"{where or 'request'}: {first.get('msg', 'invalid')}"}, 422)

    @app.exception_handler(Exception)
    async def internal(request: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"detail": f"internal error ({type(err).__name__}); the server goes on"}, 500)

    app.state.load = load
    app.state.serving = state
    return app

