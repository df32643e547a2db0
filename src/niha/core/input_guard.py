"""Refuse text that no column can store, before any route sees it.

PostgreSQL cannot store NUL (U+0000) in text, and a lone UTF-16 surrogate (``"\\ud800"`` in
JSON) is not encodable as UTF-8 at all: either one reaching a query or a reply is an error
deep inside a route — or, for a streamed export, after the reply has started. This middleware
answers such requests up front with the usual 422 ``validation_error`` naming the field:

- the path and the query string (``%00``);
- JSON bodies (``\\u0000``, unpaired ``\\ud800``-``\\udfff`` escapes), which it also caps at
  :data:`MAX_JSON_BODY` bytes (413 ``payload_too_large``).

Other bodies (multipart uploads) pass untouched; a NUL that still reaches the database is
answered 422 by the ``DataError`` handler in :mod:`niha.core.errors`.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from niha.core.errors import problem, validation_problem

MAX_JSON_BODY = 1024 * 1024
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def bad_text(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or ``None`` when it can."""
    if "\x00" in value:
        return "NUL characters are not allowed"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "unpaired surrogate characters are not allowed"
    return None


def first_bad_text(value: Any) -> tuple[str, str] | None:
    """(field path, reason) of the first string in a JSON value that cannot be stored.

    Iterative, so that a deeply nested body cannot exhaust the stack.
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            reason = bad_text(item)
            if reason:
                return path, reason
        elif isinstance(item, dict):
            children: list[tuple[str, Any]] = []
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                reason = bad_text(str(key))
                if reason:
                    return where, reason
                children.append((where, child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(
                (f"{path}.{i}" if path else str(i), child)
                for i, child in reversed(list(enumerate(item)))
            )
    return None


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _reject(where: str, field: str, reason: str) -> Any:
    loc = (where, *field.split(".")) if field else (where, where)
    return validation_problem([{"loc": loc, "msg": reason, "type": "invalid_character"}])


def _bad_path_or_query(scope: Scope) -> tuple[str, str] | None:
    """("path", "") or ("query", name) when the path or a query parameter holds a NUL."""
    if "\x00" in scope.get("path", ""):
        return "path", ""
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return "query", name.replace("\x00", "")
    return None


class InputGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        refused = _bad_path_or_query(scope)
        if refused is not None:
            if scope["type"] == "http":
                await _reject(*refused, "NUL characters are not allowed")(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http" or not _is_json(scope.get("headers") or []):
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BODY:
                await problem(
                    413,
                    "payload_too_large",
                    "Payload too large",
                    f"A JSON body may be at most {MAX_JSON_BODY} bytes",
                )(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if _SUSPECT.search(body):
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                parsed = None  # malformed: the route's own parsing answers 422
            found = first_bad_text(parsed) if parsed is not None else None
            if found:
                await _reject("body", *found)(scope, receive, send)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
