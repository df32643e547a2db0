"""A hypothesis state machine for the ledger, shared by the pure and the database runs.

Random sequences of deposits, bucket moves, payments between entities, multi-leg trades,
reversals, exact resubmissions, conflicting key reuse, staff adjustments and invalid
requests are applied both to the system under test and to a plain Python model (a dict
of balances and a dict of used keys). After every step: the balances agree with the
model, every asset sums to zero, no client bucket is negative, and the reconciliation
of the system's own figures finds nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from niha.ledger import core
from niha.ledger.core import AccountKey, TransferRequest

ASSETS = {"EUR": 2, "EUA": 0, "CEA": 0}
ENTITIES = [uuid.UUID(int=n) for n in (101, 102, 103)]

entities = st.sampled_from(ENTITIES)
assets = st.sampled_from(sorted(ASSETS))
client_buckets = st.sampled_from([str(b) for b in core.CLIENT_BUCKETS])
amounts = st.integers(min_value=1, max_value=500)


class Ledger(Protocol):
    """What the machine drives: post a batch -> "ok" | "replayed" | an error code."""

    def post(self, transfers: Sequence[TransferRequest]) -> str: ...

    def balances(self) -> dict[AccountKey, int]: ...

    def figures(self) -> list[core.AccountFigures]: ...


class MemoryLedger:
    """The pure core wired the way the database service wires it, in memory."""

    def __init__(self) -> None:
        self.accounts: dict[AccountKey, uuid.UUID] = {}
        self.bal: dict[AccountKey, int] = {}
        self.by_key: dict[str, core.ExistingTransfer] = {}
        self.transfers: list[TransferRequest] = []
        self.batches = 0

    def post(self, transfers: Sequence[TransferRequest]) -> str:
        try:
            core.validate_batch(transfers, ASSETS)
            existing = [self.by_key[t.key] for t in transfers if t.key in self.by_key]
            if core.classify_resubmission(transfers, existing) is not None:
                return "replayed"
            after = core.apply_batch(self.bal, transfers, ASSETS)
        except core.LedgerError as exc:
            return exc.code
        self.batches += 1
        batch_id = uuid.UUID(int=self.batches)
        for t in transfers:
            self.by_key[t.key] = core.ExistingTransfer(t, batch_id, len(transfers))
            self.transfers.append(t)
            for k in (t.debit, t.credit):
                self.accounts.setdefault(k, uuid.UUID(int=len(self.accounts) + 1))
        self.bal.update(after)
        return "ok"

    def balances(self) -> dict[AccountKey, int]:
        return dict(self.bal)

    def figures(self) -> list[core.AccountFigures]:
        debits: dict[AccountKey, int] = defaultdict(int)
        credits: dict[AccountKey, int] = defaultdict(int)
        for t in self.transfers:
            debits[t.debit] += t.amount
            credits[t.credit] += t.amount
        return [
            core.AccountFigures(
                account_id=self.accounts[k],
                key=k,
                balance=self.bal.get(k, 0),
                transfer_sum=credits[k] - debits[k],
                opening=0,
                debits=debits[k],
                credits=credits[k],
            )
            for k in self.accounts
        ]


def _client(e: uuid.UUID, asset: str, bucket: str) -> AccountKey:
    return AccountKey.entity(e, asset, bucket)


def _platform(asset: str, bucket: str) -> AccountKey:
    return AccountKey.platform(asset, bucket)


class LedgerMachine(RuleBasedStateMachine):
    """Subclasses provide :meth:`make_ledger`."""

    def make_ledger(self) -> Ledger:
        raise NotImplementedError

    def __init__(self) -> None:
        super().__init__()
        self.ledger = self.make_ledger()
        self.model: dict[AccountKey, int] = {}
        self.used: dict[str, tuple[tuple[Any, ...], int, int]] = {}  # key -> content, batch, size
        self.history: list[list[TransferRequest]] = []
        self.n = 0

    # -- the model --------------------------------------------------------------------

    def _key(self, label: str) -> str:
        self.n += 1
        return f"{label}:{self.n}"

    def expect(self, transfers: list[TransferRequest]) -> tuple[str, dict[AccountKey, int]]:
        for t in transfers:
            if t.amount <= 0 or t.debit == t.credit:
                return "invalid_transfer", self.model
        prior = [self.used.get(t.key) for t in transfers]
        if any(p is not None for p in prior):
            same = all(
                p is not None and p[0] == t.content() for p, t in zip(prior, transfers, strict=True)
            )
            batches = {p[1] for p in prior if p is not None}
            sizes = {p[2] for p in prior if p is not None}
            if same and len(batches) == 1 and sizes == {len(transfers)}:
                return "replayed", self.model
            return "idempotency_conflict", self.model
        trial = dict(self.model)
        for t in transfers:
            trial[t.debit] = trial.get(t.debit, 0) - t.amount
            if t.debit.owner_type == "entity" and trial[t.debit] < 0:
                return "insufficient_funds", self.model
            trial[t.credit] = trial.get(t.credit, 0) + t.amount
        return "ok", trial

    def submit(self, transfers: list[TransferRequest]) -> str:
        expected, after = self.expect(transfers)
        outcome = self.ledger.post(transfers)
        assert outcome == expected, (outcome, expected, transfers)
        if outcome == "ok":
            self.model = after
            batch = len(self.history)
            for t in transfers:
                self.used[t.key] = (t.content(), batch, len(transfers))
            self.history.append(transfers)
        return outcome

    def one(self, debit: AccountKey, credit: AccountKey, amount: int, kind: str, **kw: Any) -> str:
        return self.submit([TransferRequest(debit, credit, amount, kind, self._key(kind), **kw)])

    # -- rules ------------------------------------------------------------------------

    @rule(e=entities, asset=assets, amount=amounts)
    def deposit(self, e: uuid.UUID, asset: str, amount: int) -> None:
        outside = "bank" if asset == "EUR" else "registry"
        self.one(_platform(asset, outside), _client(e, asset, "available"), amount, "deposit")

    def amount_from(self, data: st.DataObject, account: AccountKey) -> int:
        """Mostly an amount the account can cover (or just cannot), sometimes any."""
        balance = self.model.get(account, 0)
        if balance > 0:
            return data.draw(st.one_of(st.integers(1, balance + 1), amounts))
        return data.draw(amounts)

    def funded(self, buckets: Sequence[str] = core.CLIENT_BUCKETS) -> list[AccountKey]:
        return sorted(
            k for k, v in self.model.items() if v > 0 and k.is_client and k.bucket in buckets
        )

    @rule(e=entities, asset=assets, data=st.data())
    def move(self, e: uuid.UUID, asset: str, data: st.DataObject) -> None:
        funded = self.funded()
        debit = data.draw(st.sampled_from(funded)) if funded else _client(e, asset, "available")
        target = data.draw(st.sampled_from([b for b in core.CLIENT_BUCKETS if b != debit.bucket]))
        amount = self.amount_from(data, debit)
        self.one(debit, _client(debit.owner_id, debit.asset, target), amount, "move")

    @precondition(lambda self: bool(self.funded(["available"])))
    @rule(data=st.data())
    def reserve(self, data: st.DataObject) -> None:
        debit = data.draw(st.sampled_from(self.funded(["available"])))
        amount = self.amount_from(data, debit)
        self.one(debit, _client(debit.owner_id, debit.asset, "reserved"), amount, "reserve")

    @rule(b=entities, asset=assets, data=st.data())
    def pay(self, b: uuid.UUID, asset: str, data: st.DataObject) -> None:
        funded = [k for k in self.funded(["available"]) if k.owner_id != b]
        debit = data.draw(st.sampled_from(funded)) if funded else _client(b, asset, "available")
        if debit.owner_id == b:
            return
        amount = self.amount_from(data, debit)
        self.one(debit, _client(b, debit.asset, "settling"), amount, "pay")

    @rule(a=entities, b=entities, data=st.data(), fee=st.integers(1, 20))
    def trade(self, a: uuid.UUID, b: uuid.UUID, data: st.DataObject, fee: int) -> None:
        """Four legs that must commit together: cash, certificates and both fees."""
        buyers = [k.owner_id for k in self.funded(["reserved"]) if k.asset == "EUR"]
        sellers = [k.owner_id for k in self.funded(["reserved"]) if k.asset == "EUA"]
        if buyers:
            a = data.draw(st.sampled_from(buyers))
        if sellers:
            b = data.draw(st.sampled_from(sellers))
        if a == b:
            return
        a_cash = self.model.get(_client(a, "EUR", "reserved"), 0)
        cash = data.draw(st.integers(1, max(1, a_cash - fee + 1)))
        units = self.amount_from(data, _client(b, "EUA", "reserved"))
        k = self._key("trade")
        self.submit(
            [
                TransferRequest(
                    _client(a, "EUR", "reserved"),
                    _client(b, "EUR", "settling"),
                    cash,
                    "fill",
                    f"{k}:cash",
                ),
                TransferRequest(
                    _client(b, "EUA", "reserved"),
                    _client(a, "EUA", "settling"),
                    units,
                    "fill",
                    f"{k}:units",
                ),
                TransferRequest(
                    _client(a, "EUR", "reserved"),
                    _platform("EUR", "fees"),
                    fee,
                    "fee",
                    f"{k}:fee-a",
                ),
                TransferRequest(
                    _client(b, "EUR", "settling"),
                    _platform("EUR", "fees"),
                    min(fee, cash),
                    "fee",
                    f"{k}:fee-b",
                ),
            ]
        )

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        batch = data.draw(st.sampled_from(self.history))
        t = data.draw(st.sampled_from(batch))
        self.submit(
            [
                TransferRequest(
                    t.credit,
                    t.debit,
                    t.amount,
                    "reversal",
                    f"reversal:{t.key}",
                    reference_type="transfer",
                    reference_id=t.key,
                )
            ]
        )

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data())
    def resubmit(self, data: st.DataObject) -> None:
        batch = data.draw(st.sampled_from(self.history))
        assert self.submit(list(batch)) == "replayed"

    @precondition(lambda self: bool(self.history))
    @rule(data=st.data(), extra=st.integers(1, 5))
    def reuse_key(self, data: st.DataObject, extra: int) -> None:
        batch = data.draw(st.sampled_from(self.history))
        t = batch[0]
        changed = TransferRequest(
            t.debit, t.credit, t.amount + extra, t.kind, t.key, t.reference_type, t.reference_id
        )
        assert self.submit([changed]) == "idempotency_conflict"

    @rule(
        e=entities,
        asset=assets,
        bucket=client_buckets,
        amount=st.integers(-500, 500).filter(bool),
    )
    def adjust(self, e: uuid.UUID, asset: str, bucket: str, amount: int) -> None:
        client, suspense = _client(e, asset, bucket), _platform(asset, "suspense")
        debit, credit = (suspense, client) if amount > 0 else (client, suspense)
        self.one(debit, credit, abs(amount), "adjustment")

    @rule(e=entities, asset=assets, zero=st.booleans())
    def invalid(self, e: uuid.UUID, asset: str, zero: bool) -> None:
        account = _client(e, asset, "available")
        if zero:
            outcome = self.one(_platform(asset, "bank"), account, 0, "deposit")
        else:
            outcome = self.one(account, account, 1, "move")
        assert outcome == "invalid_transfer"

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def agrees_with_model(self) -> None:
        actual = {k: v for k, v in self.ledger.balances().items() if v}
        expected = {k: v for k, v in self.model.items() if v}
        assert actual == expected

    @invariant()
    def ledger_invariants(self) -> None:
        balances = self.ledger.balances()
        totals: dict[str, int] = defaultdict(int)
        for k, v in balances.items():
            totals[k.asset] += v
            assert not (k.is_client and v < 0), (k, v)
        assert all(v == 0 for v in totals.values()), totals
        assert core.reconcile(self.ledger.figures(), ASSETS) == []
