"""Shared machinery of the API fuzz tests (``test_api_fuzz.py``, ``test_bad_input.py``).

- :func:`make_world`: a ``super_admin``, the owner of an approved and funded entity (plus a
  member), and objects made through the API (bank account, deposits, an AML hold, an order,
  a contact request, a ledger adjustment, a KYC document, a withdrawal) whose ids fill path
  parameters, so that cases get past "404 unknown id". Making them is best effort: a call
  that no longer works only costs coverage (listed in :attr:`World.missing`).
- :func:`send` + :func:`check`: the one rule every reply must follow — no 5xx, no exception
  out of the app, and every 4xx is ``application/problem+json`` with a ``code`` and the
  reply's ``status``.
"""

from __future__ import annotations

import contextlib
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis.errors import FlakyStrategyDefinition, Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core.clock import isoformat_z, utcnow
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey
from niha.onboarding.models import Entity
from tests.funding.helpers import make_entity
from tests.identity.factories import PASSWORD, bearer, make_user, token_for
from tests.kyc import samples

BASE_URL = "http://testserver"
NO_ID = "00000000-0000-0000-0000-000000000000"
IBAN, BIC = "DE89370400440532013000", "COBADEFFXXX"


# ----------------------------------------------------------------------------- the world


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    path_ids: dict[str, str]
    bodies: dict[tuple[str, str], dict[str, Any]]
    missing: list[str] = field(default_factory=list)

    def ids_for(self, path: str) -> dict[str, str]:
        return {n: self.path_ids.get(n, NO_ID) for n in path_params(path)}

    def known_ids_for(self, path: str) -> dict[str, str]:
        return {n: self.path_ids[n] for n in path_params(path) if n in self.path_ids}


def path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


async def make_world(session: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> World:
    admin = await make_user(session, role="super_admin")
    entity = await make_entity(session, legal_name="Fuzz Carbon GmbH")
    owner = await make_user(session, entity_role="owner", entity_id=entity.id)
    member = await make_user(session, entity_role="trader", entity_id=entity.id)
    for asset, amount, source in (("EUR", 10_000_000, "bank"), ("EUA", 1_000, "registry"),
                                  ("CEA", 1_000, "registry")):  # fmt: skip
        await ledger.transfer(
            session,
            AccountKey.platform(asset, source),
            AccountKey.entity(entity.id, asset, "available"),
            amount,
            kind="test_funding",
            key=f"fuzz-fund:{entity.id}:{asset}",
        )
    staff = bearer(await token_for(session, settings, admin))
    client_headers = bearer(await token_for(session, settings, owner))
    now = utcnow()
    past = isoformat_z(now - timedelta(hours=1))
    bank = {
        "account_name": "Fuzz Carbon GmbH",
        "iban": IBAN,
        "swift": BIC,
        "bank_name": "Commerzbank",
        "country": "DE",
    }
    pdf = samples.pdf()
    world = World(
        headers={"super_admin": staff, "owner": client_headers, "anonymous": {}},
        path_ids={
            "entity_id": str(entity.id),
            "user_id": str(member.id),
            "resource_type": "entity",
            "resource_id": str(entity.id),
            "symbol": "EUA-EUR",
            "instrument": "EUA-EUR",
            "certificate_id": "EUA",
        },
        bodies={},
    )

    async def make(name: str, method: str, url: str, headers: dict[str, str], **kw: Any) -> Any:
        r = await client.request(method, url, headers=headers, **kw)
        if r.status_code >= 300:
            world.missing.append(f"{name}: {method} {url} -> {r.status_code} {r.text[:200]}")
            return None
        return r.json() if r.content else {}

    async def keep(name: str, method: str, url: str, headers: dict[str, str], **kw: Any) -> None:
        reply = await make(name, method, url, headers, **kw)
        if isinstance(reply, dict) and "id" in reply:
            world.path_ids[name] = str(reply["id"])
        elif reply is not None:
            world.missing.append(f"{name}: no id in {str(reply)[:200]}")

    api = "/api/v1"
    await keep("account_id", "POST", f"{api}/funding/bank-accounts", client_headers, json=bank)
    await keep(
        "deposit_id",
        "POST",
        f"{api}/funding/deposits/announce",
        client_headers,
        json={"amount": "1000.00", "currency": "EUR"},
    )
    held = await make(
        "hold",
        "POST",
        f"{api}/funding/deposits/announce",
        client_headers,
        json={"amount": "500.00", "currency": "EUR"},
    )
    if held:
        await make(
            "hold",
            "POST",
            f"{api}/admin/deposits/{held['id']}/confirm",
            staff,
            json={"actual_amount": "500.00", "actual_currency": "EUR", "received_at": past},
        )
        holds = await make(
            "hold", "GET", f"{api}/admin/aml/holds", staff, params={"entity_id": str(entity.id)}
        )
        if holds and holds.get("items"):
            world.path_ids["hold_id"] = str(holds["items"][0]["id"])
    order = {
        "certificate_type": "EUA",
        "order_type": "BUY",
        "order_kind": "LIMIT",
        "quantity": 1,
        "price": "60.00",
    }
    await keep("order_id", "POST", f"{api}/orders/place", client_headers, json=order)
    contact = {
        "name": "Fuzz Prospect",
        "email": "fuzz-prospect@example.com",
        "company": "Prospect Ltd",
        "country": "DE",
        "message": "We would like to trade EUAs.",
        "interest": "EUA",
    }
    await keep("request_id", "POST", f"{api}/contact-requests", {}, json=contact)
    adjustment = {
        "entity_id": str(entity.id),
        "asset": "EUR",
        "bucket": "available",
        "amount": "1.00",
        "reason": "fuzz adjustment",
    }
    await keep("adjustment_id", "POST", f"{api}/admin/ledger/adjustments", staff, json=adjustment)
    if "account_id" in world.path_ids:
        account = world.path_ids["account_id"]
        await make(
            "withdrawal_id",
            "POST",
            f"{api}/admin/bank-accounts/{account}/verify",
            staff,
            files={"file": ("statement.pdf", pdf, "application/pdf")},
        )
        await keep(
            "withdrawal_id",
            "POST",
            f"{api}/funding/withdrawals/request",
            client_headers,
            json={"amount": "10.00", "bank_account_id": account},
        )
    # Last: a new KYC document takes the entity's KYC out of APPROVED; put it back.
    await keep(
        "document_id",
        "POST",
        f"{api}/kyc/documents/upload",
        client_headers,
        data={"document_type": "proof_of_address"},
        files={"file": ("address.pdf", pdf, "application/pdf")},
    )
    await session.execute(
        update(Entity)
        .where(Entity.id == entity.id)
        .values(status="APPROVED", kyc_status="APPROVED")
    )

    # Valid bodies to mutate one field at a time (merged over schemathesis' simplest body,
    # keys the schema does not have are dropped).
    world.bodies = {
        ("POST", "/api/v1/auth/login"): {"email": owner.email, "password": PASSWORD},
        ("POST", "/api/v1/funding/bank-accounts"): bank,
        ("PUT", "/api/v1/funding/bank-accounts/{account_id}"): bank,
        ("POST", "/api/v1/funding/bank-accounts/validate-iban"): {"iban": IBAN},
        ("POST", "/api/v1/funding/deposits/announce"): {"amount": "1000.00", "currency": "EUR"},
        ("POST", "/api/v1/funding/withdrawals/request"): {
            "amount": "10.00",
            "bank_account_id": world.path_ids.get("account_id", NO_ID),
        },
        ("POST", "/api/v1/orders/place"): order,
        ("POST", "/api/v1/admin/users"): {
            "email": "fuzz-new@example.com",
            "name": "Fuzz New",
            "password": "a long enough passphrase 4711",
            "role": "operations",
        },
        ("POST", "/api/v1/admin/users/invite"): {
            "email": "fuzz-invite@example.com",
            "name": "Fuzz Invite",
            "role": "operations",
        },
        ("POST", "/api/v1/admin/ledger/adjustments"): adjustment,
        ("POST", "/api/v1/contact-requests"): {**contact, "email": "fuzz-other@example.com"},
        ("POST", "/api/v1/onboarding/entity/{entity_id}/members"): {
            "email": "fuzz-member@example.com",
            "name": "Fuzz Member",
            "entity_role": "viewer",
        },
        ("POST", "/api/v1/admin/deposits/record"): {
            "actual_amount": "100.00",
            "actual_currency": "EUR",
            "received_at": past,
            "entity_id": str(entity.id),
        },
        ("POST", "/api/v1/admin/deposits/{deposit_id}/confirm"): {
            "actual_amount": "1000.00",
            "actual_currency": "EUR",
            "received_at": past,
        },
        ("POST", "/api/v1/admin/aml/holds/{hold_id}/extend"): {
            "reason": "more checks needed",
            "until": isoformat_z(now + timedelta(days=30)),
        },
        ("POST", "/api/v1/admin/withdrawals/{withdrawal_id}/complete"): {
            "executed_at": past,
            "wire_reference": "WIRE-FUZZ-1",
        },
        ("POST", "/api/v1/kyc/documents/upload"): {"document_type": "passport", "file": pdf},
        ("POST", "/api/v1/admin/bank-accounts/{account_id}/verify"): {"file": pdf},
    }
    return world


# ---------------------------------------------------------------------------- generation


def operations(app: Any) -> Iterator[Any]:
    """Every operation of the app's OpenAPI schema, as schemathesis sees it."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    for result in schema.get_all_operations():
        yield result.ok()


def cases(
    operation: Any, mode: GenerationMode, examples: int, *, derandomize: bool = True, **fixed: Any
) -> list[Any]:
    """Up to ``examples`` schemathesis cases for one operation (no I/O here)."""
    found: list[Any] = []

    @hsettings(
        max_examples=examples,
        database=None,
        derandomize=derandomize,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(operation.as_strategy(generation_mode=mode, **fixed))
    def collect(case: Any) -> None:
        found.append(case)

    # Unsatisfiable: nothing to violate (no parameters, or only free strings) in negative mode.
    # FlakyStrategyDefinition: seen from schemathesis' strategies in random mode; keep what
    # was drawn.
    with contextlib.suppress(Unsatisfiable, FlakyStrategyDefinition):
        collect()
    return found


def with_path_parameters(operation: Any, case: Any, ids: dict[str, str]) -> Any:
    """A copy of ``case`` with some path parameters replaced."""
    return operation.Case(
        path_parameters={**case.path_parameters, **ids},
        headers=dict(case.headers or {}),
        cookies=dict(case.cookies or {}),
        query=dict(case.query or {}),
        body=case.body,
        media_type=case.media_type,
    )


def request_of(case: Any, headers: dict[str, str]) -> httpx.Request | None:
    """The bytes schemathesis means to send, as an httpx request (None: no client could)."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    kwargs.pop("auth", None)
    try:
        prepared = requests.Request(**kwargs).prepare()
    except Exception:
        return None  # e.g. a header value that no HTTP client sends
    sent = {
        k: v
        for k, v in prepared.headers.items()
        if k.lower() not in {"content-length", "authorization", "connection", "transfer-encoding"}
    }
    sent.update(headers)
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    try:
        return httpx.Request(str(prepared.method), str(prepared.url), headers=sent, content=body)
    except Exception:
        return None


# -------------------------------------------------------------------------------- checks


@dataclass
class Failure:
    identity: str
    operation: str
    status: int | str
    detail: str
    request: str

    def __str__(self) -> str:
        return (
            f"{self.operation} as {self.identity}: {self.status} {self.detail}\n    {self.request}"
        )


@dataclass
class Tally:
    sent: int = 0
    statuses: dict[int | str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def report(self) -> str:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items(), key=str))
        lines = [f"{len(self.failures)} bad replies of {self.sent} requests ({statuses})"]
        lines += [str(f) for f in self.failures[:50]]
        return "\n".join(lines)


def describe(request: httpx.Request) -> str:
    skip = {"host", "user-agent", "accept", "accept-encoding", "authorization", "content-length"}
    headers = {
        k: v for k, v in request.headers.items() if k not in skip and not k.startswith("x-schema")
    }
    return f"{request.method} {str(request.url)[:300]} {headers} body={request.content[:200]!r}"


def explain(exc: BaseException) -> str:
    """The exception's first line and the deepest frame of the app's own code."""
    first = (str(exc).splitlines() or [""])[0][:300]
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/src/niha/" in f.filename]
    where = f" at {frames[-1].filename.split('/src/')[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {first}{where}"


def check_reply(reply: httpx.Response) -> str | None:
    """What is wrong with a reply, or ``None``."""
    status = reply.status_code
    if status >= 500:
        return reply.text[:300]
    if 400 <= status < 500:
        ctype = reply.headers.get("content-type", "")
        if not ctype.startswith("application/problem+json"):
            return f"content-type {ctype!r}: {reply.text[:200]}"
        try:
            body = reply.json()
        except ValueError:
            body = None
        if not (
            isinstance(body, dict)
            and isinstance(body.get("code"), str)
            and body["code"]
            and body.get("status") == status
        ):
            return f"not a problem with a code: {reply.text[:200]}"
    return None


async def send(
    client: httpx.AsyncClient,
    tally: Tally,
    identity: str,
    operation: str,
    request: httpx.Request,
    label: str = "",
) -> httpx.Response | None:
    tally.sent += 1
    prefix = f"[{label}] " if label else ""
    try:
        reply = await client.send(request)
    except Exception as exc:
        tally.statuses["exception"] = tally.statuses.get("exception", 0) + 1
        tally.failures.append(
            Failure(identity, operation, "exception", prefix + explain(exc), describe(request))
        )
        return None
    tally.statuses[reply.status_code] = tally.statuses.get(reply.status_code, 0) + 1
    problem = check_reply(reply)
    if problem is not None:
        tally.failures.append(
            Failure(identity, operation, reply.status_code, prefix + problem, describe(request))
        )
    return reply


def who_may_call(method: str, path: str) -> list[str]:
    """The identities that hold the operation's permission (both for public routes)."""
    from niha.identity.access import ROLE_PERMISSIONS, ROUTE_ACCESS

    access = ROUTE_ACCESS.get((method.upper(), path))
    if access is not None and access in ROLE_PERMISSIONS["owner"]:
        return ["owner"]
    if access is not None and access in ROLE_PERMISSIONS["super_admin"]:
        return ["super_admin"]
    return ["owner", "super_admin"]
