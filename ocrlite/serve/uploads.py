"""Images out of a request, with every size checked before the work it would cost.

A request carries images as multipart form fields named ``file`` (repeatable), or one image as the
whole body with an ``image/*`` content type. The body is counted as it arrives (413 past
``max_bytes``, whatever ``Content-Length`` claims), each image's dimensions are checked against
``max_pixels`` before it is decoded, and only the CLI's decoders are used (:mod:`ocrlite.inputs.images`):
the server never opens a path a request names.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

from ocrlite.inputs.images import ImageLoadError, decode_gray
from ocrlite.serve.errors import ApiError

#: The multipart field that holds an image.
FIELD = "file"
#: Part content types taken as images besides ``image/*`` (what curl and many clients send).
GENERIC_TYPES = ("application/octet-stream", "")
#: Status of each :class:`~ocrlite.inputs.images.ImageLoadError` kind.
STATUS_OF_KIND = {"missing": 400, "empty": 400, "format": 415, "corrupt": 400, "too_large": 413}

# Pillow's warning filters are process-wide (``warnings.catch_warnings``): decode one image at a time
# so one thread's filters never leak into another's. Decoding is a small part of a request's time.
_DECODE_LOCK = threading.Lock()
#: A PDF document (read by ``/v1/page``; ``/v1/lines`` refuses it as not an image).
PDF_TYPE = "application/pdf"


@dataclass
class Upload:
    """One image of a request: the name a client gave it (for errors) and its bytes."""

    name: str
    data: bytes


def _counting_receive(receive: Callable[[], Awaitable[dict]], max_bytes: int) -> Callable[[], Awaitable[dict]]:
    seen = 0

    async def counted() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_bytes:
                raise ApiError(413, f"the request body is over the {max_bytes / 1e6:g} MB limit (--max-bytes)")
        return message

    return counted


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


async def read_uploads(request: Request, max_bytes: int, max_files: int) -> list[Upload]:
    """The images of ``request``, in the order sent.

    Raises:
        ApiError: 413 (body or file count over a limit), 415 (not multipart or an image type),
            422 (no ``file`` field, or a text value in it), 400 (a malformed multipart body).
    """
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise ApiError(413, f"the request body is {int(length) / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB "
                       f"limit (--max-bytes)")
    request = Request(request.scope, _counting_receive(request.receive, max_bytes))
    try:
        return await _read(request, max_files)
    except ClientDisconnect:
        raise ApiError(400, "the client closed the connection before the body was sent") from None


async def _read(request: Request, max_files: int) -> list[Upload]:
    kind = _media_type(request.headers.get("content-type"))
    if kind.startswith("image/") or kind == PDF_TYPE:
        return [Upload("body", await request.body())]
    if kind != "multipart/form-data":
        raise ApiError(415, f"expected multipart/form-data with image fields named {FIELD!r} (or one image as the "
                       f"body with an image/* Content-Type, or a PDF as {PDF_TYPE}), got {kind or 'no Content-Type'!r}")
    try:
        form = await request.form(max_files=max_files + 1, max_fields=max_files + 16)
    except HTTPException as err:  # Starlette's multipart errors
        if "too many" in str(err.detail).lower():
            raise ApiError(413, f"a request may carry at most {max_files} images (--max-files)") from None
        raise ApiError(400, f"malformed multipart body ({err.detail})") from None
    try:
        values = form.getlist(FIELD)
        if not values:
            raise ApiError(422, f"no image field named {FIELD!r} (fields sent: {sorted(set(form.keys())) or 'none'})")
        if len(values) > max_files:
            raise ApiError(413, f"{len(values)} images, over the {max_files} a request may carry (--max-files)")
        uploads = []
        for k, value in enumerate(values):
            if not isinstance(value, UploadFile):
                raise ApiError(422, f"field {FIELD!r} #{k + 1} is text, not a file upload")
            name = value.filename or f"{FIELD} #{k + 1}"
            media = _media_type(value.content_type)
            if not media.startswith("image/") and media not in GENERIC_TYPES and media != PDF_TYPE:
                raise ApiError(415, f"{name}: content type {media!r} is not an image type")
            uploads.append(Upload(name, await value.read()))
        return uploads
    finally:
        await form.close()


def decode_upload(upload: Upload, max_pixels: int) -> np.ndarray:
    """``upload`` → ``(H, W)`` uint8 grayscale (the CLI's decoders and guards).

    Raises:
        ApiError: 400 empty / corrupt / truncated, 413 over ``max_pixels`` or a decompression bomb,
            415 not PNG/JPEG/BMP/TIFF/GIF/WEBP/PNM whatever its name says.
    """
    try:
        with _DECODE_LOCK:
            return decode_gray(upload.data, upload.name, max_pixels=max_pixels)
    except ImageLoadError as err:
        reason = f"{err.reason} (--max-pixels)" if err.kind == "too_large" and "limit" in err.reason else err.reason
        raise ApiError(STATUS_OF_KIND.get(err.kind, 400), f"{upload.name}: {reason}") from None
