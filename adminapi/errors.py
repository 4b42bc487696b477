"""Mapping records-layer errors to HTTP answers: every bad input gets a 4xx with a message that names it.

- NotFoundError → 404, ConflictError → 409, CsvImportError → 422 with every bad row, InvalidInputError → 422,
  StorageError → 503 (the database is down: retry later), UploadTooLarge → 413.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from records.errors import ConflictError, CsvImportError, InvalidInputError, NotFoundError, StorageError

log = logging.getLogger(__name__)


class UploadTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"upload is larger than the limit of {limit} bytes")


def _json(status: int, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return _json(404, str(exc))


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    return _json(409, str(exc))


async def _invalid(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, CsvImportError):
        errors = [{"line": e.line, "message": e.message} for e in exc.errors]
        return _json(422, str(exc), errors=errors)
    return _json(422, str(exc))


async def _storage(request: Request, exc: Exception) -> JSONResponse:
    log.error("database error on %s %s: %s", request.method, request.url.path, exc)
    return _json(503, "the database is not available; try again shortly")


async def _too_large(_request: Request, exc: Exception) -> JSONResponse:
    return _json(413, str(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(InvalidInputError, _invalid)
    app.add_exception_handler(StorageError, _storage)
    app.add_exception_handler(UploadTooLargeError, _too_large)
