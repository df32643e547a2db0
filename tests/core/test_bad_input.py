"""Classic bad inputs on every route, and the central guards that answer them.

Schemathesis (``test_api_fuzz.py``) rarely produces the inputs that break real services:
NUL characters (PostgreSQL cannot store them), unpaired surrogates (not encodable as UTF-8),
huge strings, numbers past BIGINT, forged pagination cursors, a JSON body that is a list or
``null``, the wrong content type, unknown query parameters. Here every operation of the
schema gets each of them, one field at a time, starting from a valid request (ids that exist,
a valid body), as whoever may call it. The rule is the same: a 4xx problem+json with a
``code``, never a 5xx. Then targeted tests pin the central answers:

- :mod:`niha.core.input_guard`: NUL in path / query / JSON and unpaired surrogates in JSON ->
  422 ``validation_error`` naming the field; JSON bodies over 1 MiB -> 413;
- :func:`niha.core.errors.database_problem`: a data exception from PostgreSQL (value out of
  range, too long, NUL in a multipart field) -> 422 ``invalid_value``; a unique violation
  (a race) -> 409 ``conflict``; a serialization failure or deadlock that outlasted the
  retries -> 503 ``busy`` with ``Retry-After``; any other database error stays a 500 (a
  bug, not hidden);
- an ``OverflowError`` (date arithmetic past year 1 or 9999) -> 422 ``invalid_value``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from niha.config import Settings
from niha.core.deps import SessionDep
from niha.core.input_guard import MAX_JSON_BODY, first_bad_text
from tests.core.fuzzing import (
    BASE_URL,
    NO_ID,
    Tally,
    World,
    cases,
    check_reply,
    make_world,
    operations,
    request_of,
    send,
    who_may_call,
)
from tests.identity.factories import bearer, make_user, token_for

HUGE = "x" * 100_000
BIG = 2**63  # one past BIGINT
STRING_BAD: list[Any] = ["a\x00b", "\ud800", HUGE, "9" * 40]
NUMBER_BAD: list[Any] = [BIG, -BIG - 1, 10**40, 1e308]
OTHER_BAD: list[Any] = ["a\x00b"]
# Valid ISO 8601, but before year 1 / after 9999 once converted to UTC.
DATES_BAD = ["0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-14:00", "0001-01-01", "9999-12-31"]
PATH_BAD = ["not-a-uuid", "a\x00b", "x" * 5000, NO_ID, "9" * 40, "%2e%2e"]
QUERY_BAD = ["a\x00b", "x" * 10_000, str(BIG), "not-a-uuid", "-1"]
CURSORS: list[list[Any]] = [
    # well-formed base64 JSON lists holding values of the wrong kind for any keyset column
    [["a"], ["b"]],
    [{"a": 1}, {"b": 2}],
    [BIG, BIG],
    ["a\x00b", "c"],
    ["1999-99-99T99:99:99", "not-a-uuid"],
    [1.5e308, True],
    [None, None],
    [12, NO_ID, "x"],
]
WHOLE_BODIES = [
    ("body is a list", "application/json", b"[]"),
    ("body is null", "application/json", b"null"),
    ("body is a string", "application/json", b'"x"'),
    ("body is a huge number", "application/json", str(BIG).encode()),
    ("body is malformed", "application/json", b'{"a": '),
    ("body is empty", "application/json", b""),
    ("body has NUL escapes", "application/json", b'{"\\u0000": "\\u0000"}'),
    ("body is not UTF-8", "application/json", b'{"a": "\xff\xfe"}'),
    ("body is deeply nested", "application/json", b"[" * 5000 + b"]" * 5000),
    ("form instead of JSON", "application/x-www-form-urlencoded", b"a=1&b=%00"),
    ("multipart garbage", "multipart/form-data; boundary=xyz", b"--xyz\r\nnonsense"),
]


def cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def types_of(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    schema = resolve(spec, schema)
    found: set[str] = set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        found |= types_of(spec, option)
    if "type" in schema:
        found.add(schema["type"])
    elif "enum" in schema:
        found.add("string")
    return found - {"null"}


def formats_of(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    schema = resolve(spec, schema)
    found = {schema["format"]} if "format" in schema else set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= formats_of(spec, option)
    return found


def bad_values(types: set[str], formats: set[str]) -> list[Any]:
    values: list[Any] = []
    if "date-time" in formats or "date" in formats:
        values += DATES_BAD
    if "string" in types or not types:
        values += STRING_BAD
    if "integer" in types or "number" in types:
        values += NUMBER_BAD
    return values or OTHER_BAD


def base_body(op: Any, world: World, props: dict[str, Any]) -> Any:
    """A body to mutate: a known-valid one where we have it, else schemathesis' simplest."""
    simplest = cases(op, GenerationMode.POSITIVE, 1, path_parameters=world.ids_for(op.path))
    body = simplest[0].body if simplest else {}
    known = world.bodies.get((op.method.upper(), op.path))
    if isinstance(body, dict) and known:
        body = {**body, **{k: v for k, v in known.items() if k in props}}
    return body


def variants(op: Any, spec: dict[str, Any], world: World) -> Iterator[tuple[str, Any]]:
    """(label, case or raw request parts) for every classic bad input the operation takes."""
    raw = spec["paths"][op.path][op.method.lower()]
    params = raw.get("parameters", [])
    path_ids = world.ids_for(op.path)
    content = raw.get("requestBody", {}).get("content", {})
    media = next(iter(content), None)
    props: dict[str, Any] = {}
    body: Any = NOT_SET
    if media is not None:
        props = resolve(spec, content[media]["schema"]).get("properties", {})
        body = base_body(op, world, props)

    def case(path: dict[str, Any] | None = None, query: dict[str, Any] | None = None,
             new_body: Any = NOT_SET) -> Any:  # fmt: skip
        kwargs: dict[str, Any] = {"path_parameters": {**path_ids, **(path or {})}}
        if query:
            kwargs["query"] = query
        if media is not None:
            kwargs["body"] = body if new_body is NOT_SET else new_body
            kwargs["media_type"] = media
        return op.Case(**kwargs)

    yield "as is", case()
    for name in path_ids:
        for value in PATH_BAD:
            yield f"path {name}={value[:12]!r}", case(path={name: value})
    for p in params:
        if p["in"] != "query":
            continue
        values = list(QUERY_BAD)
        if formats_of(spec, p.get("schema", {})) & {"date-time", "date"}:
            values += DATES_BAD
        if p["name"] == "cursor":
            values += [cursor(c) for c in CURSORS]
        for value in values:
            yield f"query {p['name']}={value[:12]!r}", case(query={p["name"]: value})
    yield "unknown and repeated query parameters", case(query={"zz": "1", "limit": ["1", "2"]})
    if media is None:
        return
    if isinstance(body, dict):
        for name, prop in props.items():
            for value in bad_values(types_of(spec, prop), formats_of(spec, prop)):
                yield f"body {name}={str(value)[:12]!r}", case(new_body={**body, name: value})
    wrong_type = [("JSON as text/plain", "text/plain", json.dumps(body, default=str).encode())]
    for label, content_type, payload in WHOLE_BODIES + wrong_type:
        yield label, (content_type, payload)


async def test_classic_bad_inputs_on_every_operation(
    app: Any, session: AsyncSession, connection: AsyncConnection, settings: Settings
) -> None:
    spec = app.openapi()
    tally = Tally()
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 12345))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        world = await make_world(session, settings, client)
        count = 0
        for op in operations(app):
            count += 1
            method = op.method.upper()
            name = f"{method} {op.path}"
            identities = who_may_call(method, op.path)
            savepoint = await connection.begin_nested()
            try:
                url = None
                for label, item in variants(op, spec, world):
                    for identity in identities:
                        headers = world.headers[identity]
                        if isinstance(item, tuple):
                            if url is None:
                                continue
                            content_type, payload = item
                            request = httpx.Request(
                                method,
                                url,
                                headers={**headers, "content-type": content_type},
                                content=payload,
                            )
                        else:
                            request = request_of(item, headers)
                            if request is None:
                                continue
                            if label == "as is":
                                url = request.url
                        await send(client, tally, identity, name, request, label)
            finally:
                await savepoint.rollback()
    print(f"{count} operations; {tally.report()}")
    if world.missing:
        print("world: could not make " + "; ".join(world.missing))
    assert count > 50
    assert not tally.failures, tally.report()


# ------------------------------------------------------------------- the central guards


@pytest.fixture
async def owner_headers(session: AsyncSession, settings: Settings) -> dict[str, str]:
    user = await make_user(session, role="super_admin")
    return bearer(await token_for(session, settings, user))


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert check_reply(r) is None, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/admin/users?search=a%00b", "search"),
        ("/api/v1/admin/audit-logs?action=%00", "action"),
        ("/api/v1/admin/audit-logs/export?resource_type=x%00", "resource_type"),
        ("/api/v1/admin/audit-logs/entity/a%00b", "path"),
        ("/api/v1/market/EUA%00EUR/book", "path"),
    ],
)
async def test_nul_in_path_or_query_is_a_validation_error(
    client: httpx.AsyncClient, owner_headers: dict[str, str], url: str, field: str
) -> None:
    body = problem(await client.get(url, headers=owner_headers), 422, "validation_error")
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["code"] == "invalid_character"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b'{"email": "a\\u0000@example.com", "password": "x"}', "email"),
        (b'{"email": "a@example.com", "password": "\\ud800"}', "password"),
        (b'{"email": "a@example.com", "password": ["ok", {"k": "\\udfff"}]}', "password.1.k"),
        (b'{"\\u0000": 1}', "\x00"),
        (b'"\\u0000"', "body"),
    ],
)
async def test_nul_or_lone_surrogate_in_json_is_a_validation_error(
    client: httpx.AsyncClient, payload: bytes, field: str
) -> None:
    r = await client.post(
        "/api/v1/auth/login", content=payload, headers={"content-type": "application/json"}
    )
    body = problem(r, 422, "validation_error")
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["code"] == "invalid_character"


async def test_paired_surrogates_and_escaped_backslashes_pass_the_guard(
    client: httpx.AsyncClient,
) -> None:
    # An emoji as a surrogate pair, and the literal text "\u0000": both are storable.
    payload = b'{"email": "a@example.com", "password": "\\ud83d\\ude00 \\\\u0000"}'
    r = await client.post(
        "/api/v1/auth/login", content=payload, headers={"content-type": "application/json"}
    )
    problem(r, 401, "invalid_credentials")


async def test_deeply_nested_nul_is_a_validation_error(client: httpx.AsyncClient) -> None:
    payload = b"[" * 900 + b'"\\u0000"' + b"]" * 900
    r = await client.post(
        "/api/v1/auth/login", content=payload, headers={"content-type": "application/json"}
    )
    body = problem(r, 422, "validation_error")
    assert body["errors"][0]["field"].startswith("0.0.0.")


def test_the_reply_check_flags_5xx_and_plain_4xx() -> None:
    ok = httpx.Response(
        404,
        json={"type": "t", "title": "x", "status": 404, "detail": "x", "code": "not_found"},
        headers={"content-type": "application/problem+json"},
    )
    assert check_reply(ok) is None
    assert check_reply(httpx.Response(500, json={"code": "internal_error", "status": 500}))
    assert check_reply(httpx.Response(422, json={"detail": "plain FastAPI error"}))
    no_code = httpx.Response(
        400, json={"status": 400}, headers={"content-type": "application/problem+json"}
    )
    assert check_reply(no_code)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/admin/users?search=%ff%fe",
        "/api/v1/admin/users/%ff%fe",
        "/api/v1/admin/users?limit=%ff",
        "/api/v1/admin/audit-logs?date_from=%ff",
        "/api/v1/market/%ff/book",
        "/api/v1/admin/users?search=%",
        "/api/v1/admin/users?search=%zz&&&==",
    ],
)
async def test_undecodable_percent_escapes_are_not_a_500(
    client: httpx.AsyncClient, owner_headers: dict[str, str], url: str
) -> None:
    r = await client.get(url, headers=owner_headers)
    assert r.status_code < 500 and check_reply(r) is None, r.text


@pytest.mark.parametrize(
    ("key", "status"),
    [("", 400), ("k" * 201, 400), ("caf\xe9-\xff", 201), ("  spaced  ", 201)],
)
async def test_odd_idempotency_keys(
    client: httpx.AsyncClient, owner_headers: dict[str, str], key: str, status: int
) -> None:
    headers = {**owner_headers, "Idempotency-Key": key.encode("latin-1")}  # type: ignore[dict-item]
    body = {"email": "idem-fuzz@example.com", "name": "Idem Fuzz", "role": "operations"}
    r = await client.post("/api/v1/admin/users/invite", json=body, headers=headers)
    assert r.status_code == status, r.text
    assert check_reply(r) is None, r.text


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PROPFIND", "DELETE"])
async def test_unexpected_methods_are_a_405_problem(
    client: httpx.AsyncClient, owner_headers: dict[str, str], method: str
) -> None:
    r = await client.request(method, "/api/v1/admin/users", headers=owner_headers)
    problem(r, 405, "method_not_allowed")


def test_first_bad_text_walks_keys_lists_and_values() -> None:
    assert first_bad_text({"a": ["ok", "fine"], "b": {"c": 1}}) is None
    assert first_bad_text({"a": ["ok", "x\x00"]}) == ("a.1", "NUL characters are not allowed")
    assert first_bad_text(["\ud800"]) == ("0", "unpaired surrogate characters are not allowed")


async def test_json_bodies_are_capped(client: httpx.AsyncClient) -> None:
    payload = json.dumps({"email": "a@example.com", "password": "x" * MAX_JSON_BODY}).encode()
    r = await client.post(
        "/api/v1/auth/login", content=payload, headers={"content-type": "application/json"}
    )
    problem(r, 413, "payload_too_large")


async def test_multipart_text_with_nul_reaches_the_database_and_is_a_422(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """Multipart bodies are not inspected by the guard; the DataError handler answers."""
    from tests.funding.helpers import make_entity
    from tests.kyc import samples

    entity = await make_entity(session, status="DRAFT", kyc_status="IN_PROGRESS")
    owner = await make_user(session, entity_role="owner", entity_id=entity.id)
    r = await client.post(
        "/api/v1/kyc/documents/upload",
        headers=bearer(await token_for(session, settings, owner)),
        data={"document_type": "passport", "client_notes": "see\x00attached"},
        files={"file": ("passport.pdf", samples.pdf(), "application/pdf")},
    )
    body = problem(r, 422, "invalid_value")
    assert "\x00" not in body["detail"]


async def test_export_light_check(client: httpx.AsyncClient, owner_headers: dict[str, str]) -> None:
    """The streamed CSV export: bad filters are refused before streaming starts."""
    url = "/api/v1/admin/audit-logs/export"
    for params in (
        {"actor_id": "not-a-uuid"},
        {"date_from": "yesterday"},
        {"action": "x" * 10_000},
        {"resource_id": str(BIG)},
    ):
        r = await client.get(url, params=params, headers=owner_headers)
        assert r.status_code < 500 and check_reply(r) is None, (params, r.text)
    problem(await client.get(f"{url}?action=%00", headers=owner_headers), 422, "validation_error")
    r = await client.get(url, headers=owner_headers)
    assert r.status_code == 200 and r.text.startswith("seq,"), r.text[:200]


# -------------------------------------------- database errors: which are the caller's fault


@pytest.fixture
def probe_app(app: FastAPI) -> FastAPI:
    """The app with one extra route that runs a statement chosen by the test."""
    statements = {
        "bigint": ("SELECT CAST(:v AS bigint)", {"v": 10**30}),
        "nul": ("SELECT CAST(:v AS text)", {"v": "a\x00b"}),
        "bad_date": ("SELECT CAST(:v AS timestamptz)", {"v": "1999-99-99"}),
        "unique": (
            "CREATE TEMP TABLE IF NOT EXISTS probe_u (k int UNIQUE);"
            "INSERT INTO probe_u VALUES (1); INSERT INTO probe_u VALUES (1)",
            {},
        ),
        "not_null": (
            "CREATE TEMP TABLE IF NOT EXISTS probe_n (k int NOT NULL);"
            "INSERT INTO probe_n VALUES (NULL)",
            {},
        ),
        "syntax": ("SELEC 1", {}),
        "contention": ("SELECT niha_expect(false, 'a probe')", {}),
    }

    async def run(kind: str, session: SessionDep) -> dict[str, str]:
        if kind == "overflow":
            return {"ok": str(datetime.min - timedelta(days=1))}
        sql, params = statements[kind]
        for statement in sql.split(";"):
            await session.execute(text(statement), params if ":v" in statement else {})
        return {"ok": kind}

    app.add_api_route("/probe/{kind}", run, methods=["POST"])
    route = app.router.routes.pop()
    app.router.routes.insert(0, route)
    return app


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("bigint", 422, "invalid_value"),
        ("nul", 422, "invalid_value"),
        ("bad_date", 422, "invalid_value"),
        ("unique", 409, "conflict"),
        ("overflow", 422, "invalid_value"),
    ],
)
async def test_database_errors_caused_by_data_are_4xx(
    probe_app: FastAPI, kind: str, status: int, code: str
) -> None:
    transport = httpx.ASGITransport(app=probe_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        body = problem(await c.post(f"/probe/{kind}"), status, code)
    assert "SELECT" not in body["detail"] and "INSERT" not in body["detail"]


async def test_contention_that_outlasts_the_retries_is_a_503_to_try_again(
    probe_app: FastAPI,
) -> None:
    transport = httpx.ASGITransport(app=probe_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        r = await c.post("/probe/contention")
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.json()["code"] == "busy"


@pytest.mark.parametrize("kind", ["not_null", "syntax"])
async def test_other_database_errors_stay_500(probe_app: FastAPI, kind: str) -> None:
    transport = httpx.ASGITransport(app=probe_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        r = await c.post(f"/probe/{kind}")
    assert r.status_code == 500
    assert r.json()["code"] == "internal_error"
