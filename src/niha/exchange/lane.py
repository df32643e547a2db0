"""The order lane: ``POST /api/v1/orders/place`` and ``POST /api/v1/orders/{id}/cancel``
served as plain ASGI.

Placing orders is the venue's hottest request. Through FastAPI it cost more CPU than
deciding the order: routing over every route, solving the dependency tree, building a
``Request``, the exception middleware, validating the reply model a second time. The lane
is a middleware that answers the common case directly with the route's own parts:

- the same caller check: the token's signature and expiry, the session and user as
  :func:`identity.service.principal_from_token` finds them, then the ``orders:write``
  permission of :mod:`niha.identity.access`. The session is looked up once and then
  remembered (:class:`identity.service.PrincipalSnapshots`) -- never trusted alone: the
  order's own group transaction checks every caller's session again
  (:class:`identity.service.PrincipalCheck`) and writes nothing for a session that was
  revoked, expired, disabled or changed meanwhile; the lane then forgets the snapshot and
  hands the request to the route, which answers as it would have (401, 403, or the
  order placed for a caller whose name changed). So a revoked token stops at once, as
  everywhere, and the common request costs no round trip of its own;
- the same body model (:class:`PlaceOrderIn`) and the same function
  (:func:`niha.exchange.api.place`), without a session of its own: the order is
  decided in its group's transaction (a session would only cost its creation and
  commit);
- the same reply model (:class:`OrderOut`, 201) and the same problem+json for every
  error the order itself raises (:func:`niha.core.errors.problem_for`).

A cancellation is the common case when this process's book holds the order resting as
the caller's (:func:`niha.exchange.service.cancel_in_group`): it is decided in the
instrument's next group and answered with the route's reply model (:class:`OrderOut`,
200). Market makers cancel about as often as they place.

Whatever is not the common case goes on, unchanged and with its body, to the FastAPI
route, which stays the one documented in the OpenAPI schema: a body that is not JSON or
not valid, a missing or unknown token, a caller without the permission. So every such
reply is the route's own, byte for byte.

The lane sits inside the request-context, input-guard and idempotency middlewares
(request id, access log, metrics, security headers, NUL and size checks apply as to
every request; a request with an ``Idempotency-Key`` reaches the lane once the key is
reserved, and its reply is stored and replayed as the route's would be). Market makers
send a key with every order: through the route, such an order cost about eight times
the CPU of one through the lane.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

from pydantic import ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from niha.config import Settings
from niha.core.db import Database
from niha.core.errors import problem_for
from niha.core.security import decode_access_token
from niha.exchange.api import place
from niha.exchange.schemas import OrderOut, PlaceOrderIn
from niha.exchange.service import cancel_in_group
from niha.identity.access import Permission, Principal, has_permission
from niha.identity.service import PrincipalSnapshots, SessionChanged, principal_from_token

_JSON = b"application/json"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class OrderLane:
    """``prefix``: the orders' routes (``/api/v1/orders``)."""

    def __init__(self, app: ASGIApp, *, prefix: str) -> None:
        self.app = app
        self.path = prefix + "/place"
        self.prefix = prefix + "/"
        self.snapshots = PrincipalSnapshots()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cancel = _cancelled_id(path, self.prefix)
        if (path != self.path and cancel is None) or (
            cancel is None
            and (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower() != _JSON
        ):
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        if body is None:
            return  # the client went away
        app = scope["app"]
        db, settings = app.state.db, app.state.settings
        if cancel is None:
            reply = await self._serve(scope, db, settings, body)
        else:
            reply = await self._cancel(scope, db, settings, cancel)
        if reply is None:
            await self.app(scope, _replay(body, receive), send)
        else:
            await reply(scope, receive, send)

    async def _serve(
        self, scope: Scope, db: Database, settings: Settings, body: bytes
    ) -> Response | None:
        principal = await self._caller(scope, db, settings)
        if principal is None or not has_permission(principal, Permission.ORDERS_WRITE):
            return None
        try:
            order = PlaceOrderIn.model_validate_json(body)
        except ValidationError:
            return None

        async def placed() -> str:
            return (await place(db.maker, settings, principal, order)).json

        return await self._answer(principal, self.path, placed(), 201)

    async def _cancel(
        self, scope: Scope, db: Database, settings: Settings, order_id: uuid.UUID
    ) -> Response | None:
        principal = await self._caller(scope, db, settings)
        if (
            principal is None
            or principal.entity_id is None
            or not has_permission(principal, Permission.ORDERS_WRITE)
        ):
            return None

        async def cancelled() -> str | None:
            grouped = await cancel_in_group(db.maker, settings, order_id, principal)
            if grouped is None:
                return None  # the route cancels it the long way, or says why it cannot
            return OrderOut.of(*grouped).model_dump_json()

        return await self._answer(principal, scope["path"], cancelled(), 200)

    async def _answer(
        self, principal: Principal, path: str, work: Awaitable[str | None], status: int
    ) -> Response | None:
        """``work``'s JSON as the reply, its error as a problem -- or ``None`` (the route
        takes the request) when it has none or the caller's session changed."""
        try:
            body = await work
        except SessionChanged:
            self.snapshots.forget(principal.session_id)
            return None
        except Exception as exc:
            return problem_for(exc, path)
        return None if body is None else Response(body, status, media_type="application/json")

    async def _caller(self, scope: Scope, db: Database, settings: Settings) -> Principal | None:
        """The bearer token's principal, as the route's ``require(ORDERS_WRITE)`` finds it
        (or as it was found last time: the order's transaction checks it again)."""
        value = _header(scope, b"authorization")
        if value is None:
            return None
        scheme, _, token = value.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token or len(token) > 4096:
            return None
        claims = decode_access_token(settings.secret_key, token)
        if claims is None:
            return None
        principal = self.snapshots.get(claims)
        if principal is None:
            principal = await principal_from_token(db, settings, token)
            if principal is not None:
                self.snapshots.remember(principal)
        return principal


def _cancelled_id(path: str, prefix: str) -> uuid.UUID | None:
    """The order id of ``{prefix}{id}/cancel``, or ``None``."""
    if not path.startswith(prefix) or not path.endswith("/cancel"):
        return None
    try:
        return uuid.UUID(path[len(prefix) : -len("/cancel")])
    except ValueError:
        return None


async def _read(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
            return message
        return await receive()

    return replay
