"""Statements sent in one round trip straight through libpq's pipeline.

For the venue's hottest transactions -- a group of orders decided on what its
instrument's slot remembers (``exchange.placement``), a group of ledger batches planned
on the balances the writer last saw (``ledger.writer``) -- every statement is known in
advance and most return nothing anyone reads. Through psycopg's pipeline mode each
statement costs a cursor, a query conversion, binary dumpers and a generator per result;
straight through libpq, with each statement prepared once per connection and its
parameters as text, a group of one order costs the server about a third less CPU
(``bench/exchange_http.py`` at one client; docs/exchange.md).

:class:`Statements` sends each statement as it is added (``core.db.send`` adds to it as
it would send on a connection), so the server runs the first ones while the caller makes
the next; :meth:`Statements.execute` ends the round trip with a sync, lets the caller
work while the server finishes (``meanwhile``), then reads every result and raises the
first error as psycopg would (``psycopg.errors``' class for its SQLSTATE, with its
diagnostics), so retries and constraint mapping see the same exceptions. A statement
added with ``rows=True`` has its rows returned, read by psycopg's own loaders.

Parameters go as text with no declared type: PostgreSQL infers each from where it is
used, so a statement must make its parameters' types clear (``%(x)s::jsonb``, a column
compared to it, a function's argument). In a transaction of its own, each distinct
statement is prepared on a connection the first time it runs there, in the same round
trip.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
import weakref
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import Transformer

# psycopg's placeholders: named or positional, text (s) or binary (b) -- all go as text.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sb]|%[sb]|%%")

#: At most this many distinct statements are prepared per connection; others run unnamed.
MAX_PREPARED = 128


class _Shape:
    """A statement converted once: ``$n`` placeholders, where each parameter comes from
    (names, or positions), and its prepared statement's name."""

    __slots__ = ("keys", "name", "sql")

    def __init__(self, query: str) -> None:
        keys: list[str | int] = []

        def number(match: re.Match[str]) -> str:
            token = match.group(0)
            if token == "%%":
                return "%"
            keys.append(match.group(1) if match.group(1) else len(keys))
            return f"${len(keys)}"

        self.sql = _PLACEHOLDER.sub(number, query).encode()
        self.keys = keys
        self.name = b"niha_" + hashlib.blake2b(self.sql, digest_size=8).hexdigest().encode()

    def values(self, params: Any) -> list[bytes | None]:
        # Names index a mapping, positions a sequence.
        return [text(params[k]) for k in self.keys] if self.keys else []


_shapes: dict[str, _Shape] = {}


def _shape(query: str) -> _Shape:
    shape = _shapes.get(query)
    if shape is None:
        shape = _Shape(query)
        if len(_shapes) < 4 * MAX_PREPARED:
            _shapes[query] = shape
    return shape


def text(value: Any) -> bytes | None:
    """``value`` as PostgreSQL's text input for a parameter (None is NULL)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list | tuple):
        return _array(value).encode()
    return _scalar(value).encode()


def _scalar(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return "%032x" % value.int  # PostgreSQL reads a UUID without its dashes  # noqa: UP031
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise TypeError("a naive datetime has no meaning as a parameter")
        return value.isoformat()
    raise TypeError(f"no text form for a parameter of type {type(value).__name__}")


_NONE = type(None)


def _array(values: Sequence[Any]) -> str:
    # The arrays of the hot statements hold one type each (ids, amounts, keys): those go
    # in one pass each; mixed or nested arrays element by element.
    kinds = set(map(type, values))
    if len(kinds) == 1:
        [kind] = kinds
        if kind is uuid.UUID:
            return "{" + ",".join(["%032x" % v.int for v in values]) + "}"  # noqa: UP031
        if kind is int:
            return "{" + ",".join(map(str, values)) + "}"
    if kinds <= {str, _NONE}:
        return (
            "{"
            + ",".join(
                [
                    "NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
                    for v in values
                ]
            )
            + "}"
        )
    items = []
    for v in values:
        if v is None:
            items.append("NULL")
        elif isinstance(v, str):
            items.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif isinstance(v, list | tuple):
            items.append(_array(v))
        else:
            items.append(_scalar(v))  # no quotes, commas, braces or spaces to escape
    return "{" + ",".join(items) + "}"


#: The statements prepared on each connection (by name).
_prepared: weakref.WeakKeyDictionary[Any, set[bytes]] = weakref.WeakKeyDictionary()

_GONE = b"26000"  # invalid_sql_statement_name: a prepared statement that is not there


class Statements:
    """Statements sent on a connection as they are added, their results read in one go
    (see the module).

    The first :meth:`add` puts the connection (a psycopg connection this task owns, not in
    pipeline mode) in libpq's pipeline mode; each statement goes out at once, so the
    server runs the first ones (a lock, checks) while the caller builds the next.
    :meth:`execute` ends the round trip; :meth:`discard`, for a caller that gives up
    before, reads and drops what was sent.

    When no transaction is open, the statements run in one of their own (a ``BEGIN``
    first) and are prepared once per connection. psycopg deallocates every prepared
    statement of a connection after a ROLLBACK on it (when it prepared some of its own),
    ours too: a transaction of its own that finds one of them gone is rolled back
    (nothing of it stays) and sent again at once, the statements prepared anew.
    Inside a transaction already open, a failure could not be taken back that way: the
    statements go unnamed (parsed each time).
    """

    __slots__ = (
        "_answers", "_driver", "_fresh", "_items", "_known", "_open", "_own", "_pgconn", "_runs",
    )  # fmt: skip

    def __init__(self, driver: psycopg.AsyncConnection[Any]) -> None:
        self._driver = driver
        self._pgconn = driver.pgconn
        known = _prepared.get(driver)
        if known is None:
            known = _prepared[driver] = set()
        self._known = known
        #: What each result will answer, in order: a statement prepared here (its name),
        #: or a run (None).
        self._answers: list[bytes | None] = []
        self._fresh = 0  # statements prepared in this round trip
        self._open = False  # in pipeline mode, results to read
        self._own = False  # the statements run in a transaction of their own (BEGIN sent)
        #: What was added (to send again): each statement, its parameters, whether its
        #: rows are wanted.
        self._items: list[tuple[_Shape, Any, bool]] = []
        self._runs: list[int] = []  # where each added statement's result comes, in order

    def add(self, query: str, params: Any = None, *, rows: bool = False) -> None:
        """Send ``query`` (``rows``: :meth:`execute` returns what it selects)."""
        pgconn = self._pgconn
        if not self._open:
            pgconn.enter_pipeline_mode()
            self._open = True
            if not self._items and pgconn.transaction_status == pq.TransactionStatus.IDLE:
                self._own = True
                self._send(_shape("BEGIN"), None)
        shape = _shape(query)
        self._items.append((shape, params, rows))
        self._runs.append(self._send(shape, params))
        pgconn.flush()  # what the socket takes now; the rest at execute()

    def _send(self, shape: _Shape, params: Any) -> int:
        """Send one statement (prepared first when it is new here); where its result comes."""
        pgconn, answers = self._pgconn, self._answers
        values = shape.values(params)
        name = shape.name
        if not self._own:
            pgconn.send_query_params(shape.sql, values)
            answers.append(None)
            return len(answers) - 1
        if name not in self._known and name not in answers:
            if len(self._known) + self._fresh >= MAX_PREPARED:
                pgconn.send_query_params(shape.sql, values)
                answers.append(None)
                return len(answers) - 1
            pgconn.send_prepare(name, shape.sql)
            answers.append(name)
            self._fresh += 1
        pgconn.send_query_prepared(name, values)
        answers.append(None)
        return len(answers) - 1

    async def execute(
        self, meanwhile: Callable[[], None] | None = None
    ) -> list[list[tuple[Any, ...]]]:
        """End the round trip: call ``meanwhile`` once everything is on its way, then read
        every result; the rows of each statement added with ``rows``, in order. Raises
        the first statement's error (the transaction is then aborted), then what
        ``meanwhile`` raised; or ``psycopg.OperationalError`` when the connection is
        lost -- it is then closed: whether the statements ran is unknown. The
        transaction stays open unless a COMMIT was added."""
        results, error, failed = await self._results(meanwhile)
        if error is not None and self._own and error.error_field(_DIAG_SQLSTATE) == _GONE:
            # Deallocated behind our back: roll back (nothing ran) and send it all again.
            self._known.clear()
            self._fresh = 0
            self._pgconn.enter_pipeline_mode()
            self._open = True
            self._pgconn.send_query_params(b"ROLLBACK", None)
            self._answers.append(None)
            self._send(_shape("BEGIN"), None)
            self._runs = [self._send(shape, params) for shape, params, _ in self._items]
            results, error, _ = await self._results(None)
        if error is not None:
            if error.error_field(_DIAG_SQLSTATE) == _GONE:
                self._known.clear()  # prepared again next time (core.retry runs it again)
            raise psycopg.errors.error_from_result(error, encoding=self._driver.info.encoding)
        if failed is not None:
            raise failed
        return [
            self._rows(results[at])
            for (_, _, wanted), at in zip(self._items, self._runs, strict=True)
            if wanted
        ]

    def _rows(self, result: pq.abc.PGresult) -> list[tuple[Any, ...]]:
        """A result's rows, read by psycopg's own loaders (text format)."""
        if not result.ntuples:
            return []
        loader = Transformer(self._driver)
        loader.set_pgresult(result)
        return loader.load_rows(0, result.ntuples, tuple)

    async def _results(
        self, meanwhile: Callable[[], None] | None
    ) -> tuple[list[Any], pq.abc.PGresult | None, Exception | None]:
        """Every result of the round trip, its first error, and what ``meanwhile`` raised."""
        answers = self._answers
        results, failed = await self._finish(meanwhile)
        error: pq.abc.PGresult | None = None
        for result, prepared in zip(results, answers, strict=True):
            status = result.status
            if status == pq.ExecStatus.FATAL_ERROR:
                error = error or result
            elif prepared is not None and status == pq.ExecStatus.COMMAND_OK:
                self._known.add(prepared)
        return results, error, failed

    async def discard(self) -> None:
        """Read and drop the results of what was sent (after an error of the caller's);
        the connection leaves pipeline mode, its transaction aborted or open."""
        if self._open:
            await self._finish(None)

    async def _finish(
        self, meanwhile: Callable[[], None] | None
    ) -> tuple[list[Any], Exception | None]:
        """Sync, ``meanwhile``, every result: the results and what ``meanwhile`` raised."""
        pgconn = self._pgconn
        failed: Exception | None = None
        if not self._open:
            return [], None
        self._open = False
        self._answers = []
        try:
            pgconn.pipeline_sync()
            await _flush(pgconn)
            if meanwhile is not None:
                try:
                    meanwhile()
                except Exception as exc:  # raised once the results are read
                    failed = exc
            results = await _read(pgconn)
            pgconn.exit_pipeline_mode()
        except BaseException:
            # Mid-pipeline (lost, cancelled): the connection cannot be trusted again.
            if pgconn.pipeline_status != pq.PipelineStatus.OFF:
                await self._driver.close()
            raise
        return results, failed


_DIAG_SQLSTATE = pq.DiagnosticField.SQLSTATE


def _wait(pgconn: Any, *, write: bool) -> asyncio.Future[None]:
    loop = asyncio.get_running_loop()
    fd = pgconn.socket
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    if write:
        loop.add_writer(fd, wake)

    def done(_: object) -> None:
        loop.remove_reader(fd)
        if write:
            loop.remove_writer(fd)

    ready.add_done_callback(done)
    return ready


async def _flush(pgconn: Any) -> None:
    """Send what libpq holds; read meanwhile (a server writing results is not stalled)."""
    while pgconn.flush():
        await _wait(pgconn, write=True)
        pgconn.consume_input()


async def _read(pgconn: Any) -> list[Any]:
    """Every result up to the pipeline's sync (which is not returned)."""
    results: list[Any] = []
    while True:
        while pgconn.is_busy():
            await _wait(pgconn, write=False)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            continue
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return results
        results.append(result)
