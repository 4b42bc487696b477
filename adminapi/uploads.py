"""Bounded uploads: refuse by Content-Length before reading, and stop reading at the limit when it lies."""

from __future__ import annotations

from fastapi import UploadFile
from starlette.types import ASGIApp, Receive, Scope, Send

from adminapi.errors import UploadTooLargeError
from records.csv_input import decode

CHUNK = 1 << 20
MULTIPART_SLACK = 64 * 1024  # headers and boundaries around the file part


async def read_text(upload: UploadFile, limit: int) -> str:
    """The uploaded file as text; :class:`UploadTooLargeError` past ``limit`` bytes."""
    data = bytearray()
    while chunk := await upload.read(CHUNK):
        data += chunk
        if len(data) > limit:
            raise UploadTooLargeError(limit)
    return decode(bytes(data))


class ContentLengthLimit:
    """ASGI middleware: a request announcing more than the limit gets 413 without its body being read."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit + MULTIPART_SLACK

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                    body = b'{"detail":"upload is larger than the limit of %d bytes"}' % (self.limit - MULTIPART_SLACK)
                    await send({"type": "http.response.start", "status": 413,
                                "headers": [(b"content-type", b"application/json"),
                                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)
