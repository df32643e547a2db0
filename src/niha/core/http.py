"""Request middleware: request ids, access logs, metrics, security headers; HEAD."""

from __future__ import annotations

import functools
import random
import time

import structlog
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.encode()
_ids = random.Random()

HTTP_REQUESTS = Counter("niha_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "niha_http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)

log = structlog.get_logger("niha.http")


def _valid_request_id(value: str) -> bool:
    return 0 < len(value) <= 128 and all(c.isalnum() or c in "-_.:" for c in value)


class RequestContextMiddleware:
    """Assigns a request id (or keeps a sane incoming one), logs and measures each request."""

    def __init__(self, app: ASGIApp, *, production: bool = False) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v for k, v in scope.get("headers") or () if k == _REQUEST_ID_KEY), b""
        ).decode("latin-1")
        # A correlation id, not a secret: the process's own random generator (seeded from
        # the OS at start) costs no system call per request.
        request_id = incoming if _valid_request_id(incoming) else f"{_ids.getrandbits(128):032x}"
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        if scope["type"] == "websocket":
            try:
                await self.app(scope, receive, send)
            finally:
                structlog.contextvars.unbind_contextvars("request_id")
            return

        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                headers.extend(self._security_headers(scope["path"]))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            HTTP_REQUESTS.labels(method, route_path, str(status_holder["status"])).inc()
            HTTP_LATENCY.labels(method, route_path).observe(elapsed)
            log.info(
                "request",
                method=method,
                path=scope["path"],
                status=status_holder["status"],
                ms=round(elapsed * 1000, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")

    def _security_headers(self, path: str) -> list[tuple[bytes, bytes]]:
        # The API reference pages start Swagger UI / ReDoc with an inline script.
        docs = path in {"/docs", "/redoc"} or path.startswith("/docs/")
        return _security_headers(docs, self.production)


@functools.cache
def _security_headers(docs: bool, production: bool) -> list[tuple[bytes, bytes]]:
    """The security headers of every reply (two variants: API reference pages or not)."""
    script_src = "'self' 'unsafe-inline'" if docs else "'self'"
    style_src = "'self' 'unsafe-inline'"
    csp = (
        f"default-src 'self'; script-src {script_src}; style-src {style_src}; "
        "img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self' ws: wss:; "
        "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"x-frame-options", b"DENY"),
    ]
    if production:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


class HeadAsGetMiddleware:
    """``HEAD`` on any ``GET`` endpoint, answered as that ``GET`` without its body (RFC
    9110: a server supports HEAD wherever it supports GET). FastAPI's routes take only the
    methods they declare, so without this a ``HEAD`` on market data was a 405. The headers
    -- ``Content-Length`` included -- are the ``GET``'s."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_head(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # A copy: the server reads the request's own scope to know it owes no body.
        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, send_head)
        finally:
            if "route" in inner:  # for the access log's and metrics' route label
                scope["route"] = inner["route"]
