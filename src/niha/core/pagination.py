"""Keyset pagination: ``?limit=&cursor=`` -> ``{items, next_cursor}``.

The cursor is an opaque, url-safe encoding of the sort key of the last row of a page
(e.g. ``(created_at, id)``), so page 10,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, or_

from niha.core.errors import DomainError

T = TypeVar("T")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class PageParams(BaseModel):
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


async def page_params(  # async: FastAPI runs a plain def dependency in a thread
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


class InvalidCursor(DomainError):
    status = 400
    code = "invalid_cursor"
    title = "Invalid cursor"


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_jsonable(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("The cursor is malformed") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor("The cursor is malformed")
    return values


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, int | str | float | bool) or value is None:
        return value
    return str(value)


def keyset_page(
    stmt: Select[Any],
    columns: Sequence[Any],
    params: PageParams,
    *,
    descending: bool = True,
    parse: Sequence[Any] | None = None,
) -> Select[Any]:
    """Order ``stmt`` by ``columns`` and continue after the cursor; fetches limit+1 rows."""
    if params.cursor:
        raw = decode_cursor(params.cursor, len(columns))
        try:
            values = [p(v) for p, v in zip(parse, raw, strict=True)] if parse else raw
        except (TypeError, ValueError) as exc:
            raise InvalidCursor("The cursor is malformed") from exc
        stmt = stmt.where(_after(columns, values, descending))
    order = [c.desc() if descending else c.asc() for c in columns]
    return stmt.order_by(*order).limit(params.limit + 1)


def _after(columns: Sequence[Any], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


def build_page(rows: Sequence[T], params: PageParams, key: Any) -> tuple[list[T], str | None]:
    """Cut the extra row and compute the next cursor with ``key(row) -> sort values``."""
    items = list(rows[: params.limit])
    next_cursor = encode_cursor(key(items[-1])) if len(rows) > params.limit and items else None
    return items, next_cursor
