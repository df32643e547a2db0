"""Domain errors and their RFC 9457 problem+json rendering.

Services raise :class:`DomainError` subclasses with a stable machine ``code``; the
app turns every one of them (and every validation or routing error) into a
problem+json reply. Unexpected exceptions become a 500 with code ``internal_error``
and no detail leaked.
"""

from __future__ import annotations

from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from niha.core.retry import CONTENTION_SQLSTATES

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.detail)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Unauthorized(DomainError):
    status = 401
    code = "not_authenticated"
    title = "Not authenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Unprocessable(DomainError):
    status = 422
    code = "unprocessable"
    title = "Unprocessable request"


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


class Gone(DomainError):
    status = 410
    code = "gone"
    title = "Gone"


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://niha.exchange/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_problem(errors: list[dict[str, Any]]) -> JSONResponse:
    items = [
        {
            "field": _field_name(err.get("loc", ())),
            "message": str(err.get("msg", "invalid")),
            "code": str(err.get("type", "invalid")),
        }
        for err in errors
    ]
    first = items[0] if items else {"field": "body", "message": "invalid"}
    return problem(
        422,
        "validation_error",
        "Validation failed",
        f"{first['field']}: {first['message']}",
        errors=items,
    )


# SQLSTATEs that a request's own data causes: class 22 (data exception: a value out of the
# column's range, too long, malformed, or a NUL in text) -> 422; a unique or exclusion
# violation (two requests racing for the same unique value) -> 409. Anything else from the
# database (a NOT NULL or check violation, a syntax error...) is a bug and stays a 500.
_UNIQUE_SQLSTATES = {"23505", "23P01"}


def database_problem(exc: BaseException) -> JSONResponse | None:
    """The problem reply for a database error caused by the request's data, or by other
    requests changing the same rows (503, try again), else ``None``."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    sqlstate = getattr(orig, "sqlstate", None) or ""
    log = structlog.get_logger("niha.errors")
    if isinstance(orig, psycopg.DataError) or sqlstate.startswith("22"):
        # psycopg refuses NUL in text client-side (a DataError without a SQLSTATE).
        log.warning("invalid_value", sqlstate=sqlstate, error=str(orig).splitlines()[0][:200])
        return problem(
            422,
            "invalid_value",
            "Invalid value",
            "A value is out of range, too long or contains characters that cannot be stored",
        )
    if sqlstate in _UNIQUE_SQLSTATES:
        diag = getattr(orig, "diag", None)
        log.warning("unique_conflict", constraint=getattr(diag, "constraint_name", None))
        return problem(409, "conflict", "Conflict", "This conflicts with an existing record")
    if sqlstate in CONTENTION_SQLSTATES:
        # Still failing after core.retry's attempts: nothing was written, try again.
        log.warning("contention", sqlstate=sqlstate)
        return problem(
            503,
            "busy",
            "Busy",
            "Too many changes to the same records at once; nothing was done, please try again",
            {"Retry-After": "1"},
        )
    return None


def problem_for(exc: Exception, path: str) -> JSONResponse:
    """The problem reply for an exception a handler raised (what the app's handlers send).

    For code that answers outside FastAPI's exception handling (the order lane).
    """
    if isinstance(exc, DomainError):
        return problem(exc.status, exc.code, exc.title, exc.detail, exc.headers, **exc.extra)
    if isinstance(exc, RequestValidationError):
        return validation_problem(list(exc.errors()))
    if isinstance(exc, StarletteHTTPException):
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        title = detail or code.replace("_", " ").capitalize()
        return problem(exc.status_code, code, title, detail, dict(exc.headers or {}))
    if isinstance(exc, DBAPIError | psycopg.Error):
        reply = database_problem(exc)
        if reply is not None:
            return reply
    elif isinstance(exc, OverflowError):
        # Date arithmetic past year 1 / 9999 (``received_at - window`` with a date of year 1)
        # or a number too large for a float: the request's values are out of range.
        structlog.get_logger("niha.errors").warning(
            "value_out_of_range", path=path, error=str(exc)[:200]
        )
        return problem(
            422, "invalid_value", "Invalid value", "A value is outside the supported range"
        )
    structlog.get_logger("niha.errors").exception("unhandled_error", path=path, exc_info=exc)
    return problem(500, "internal_error", "Internal server error", "An unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    async def _handle(request: Request, exc: Exception) -> JSONResponse:
        return problem_for(exc, request.url.path)

    for kind in (
        DomainError,
        RequestValidationError,
        StarletteHTTPException,
        DBAPIError,
        psycopg.Error,
        OverflowError,
        Exception,
    ):
        app.add_exception_handler(kind, _handle)
