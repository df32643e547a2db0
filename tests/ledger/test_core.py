"""The pure ledger core: validation, posting arithmetic, idempotency, reconciliation."""

from __future__ import annotations

import copy
import pickle
import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, settings

from niha.ledger import core
from niha.ledger.core import AccountKey, TransferRequest
from tests.ledger.machine import ASSETS, Ledger, LedgerMachine, MemoryLedger

E1, E2 = uuid.UUID(int=1), uuid.UUID(int=2)
BANK = AccountKey.platform("EUR", "bank")
A_AVAIL = AccountKey.entity(E1, "EUR", "available")
A_RES = AccountKey.entity(E1, "EUR", "reserved")
B_AVAIL = AccountKey.entity(E2, "EUR", "available")


def t(
    debit: AccountKey, credit: AccountKey, amount: int, key: str = "k", **kw: object
) -> TransferRequest:
    return TransferRequest(debit, credit, amount, kw.pop("kind", "test"), key, **kw)  # type: ignore[arg-type]


class PureMachine(LedgerMachine):
    def make_ledger(self) -> Ledger:
        return MemoryLedger()


PureMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestPureLedger = PureMachine.TestCase


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("transfer", "message"),
    [
        (t(A_AVAIL, A_AVAIL, 1), "different accounts"),
        (t(BANK, AccountKey.entity(E1, "EUA", "available"), 1), "same asset"),
        (t(BANK, A_AVAIL, 0), "positive"),
        (t(BANK, A_AVAIL, -5), "positive"),
        (t(BANK, A_AVAIL, 10**16), "too large"),
        (t(BANK, AccountKey.entity(E1, "USD", "available"), 1), "unknown asset"),
        (t(BANK, AccountKey.entity(E1, "EUR", "bank"), 1), "does not exist for entity"),
        (t(AccountKey.platform("EUR", "available"), A_AVAIL, 1), "does not exist for platform"),
        (t(AccountKey("platform", E1, "EUR", "bank"), A_AVAIL, 1), "platform owner id"),
        (
            t(BANK, AccountKey("entity", core.PLATFORM_OWNER_ID, "EUR", "available"), 1),
            "not an entity",
        ),
        (t(BANK, AccountKey("robot", E1, "EUR", "available"), 1), "owner type"),
        (t(BANK, A_AVAIL, 1, key=""), "idempotency key"),
        (t(BANK, A_AVAIL, 1, key="x" * 201), "idempotency key"),
        (t(BANK, A_AVAIL, 1, kind=""), "kind"),
        (t(BANK, A_AVAIL, 1, reference_id="a\nb"), "reference_id"),
    ],
)
def test_invalid_transfers(transfer: TransferRequest, message: str) -> None:
    with pytest.raises(core.InvalidTransfer, match=message):
        core.validate_batch([transfer], ASSETS)


def test_batch_limits() -> None:
    with pytest.raises(core.InvalidTransfer, match="at least one"):
        core.validate_batch([], ASSETS)
    with pytest.raises(core.InvalidTransfer, match="appears twice"):
        core.validate_batch([t(BANK, A_AVAIL, 1, "same"), t(BANK, B_AVAIL, 1, "same")], ASSETS)
    too_many = [t(BANK, A_AVAIL, 1, f"k{i}") for i in range(core.MAX_BATCH + 1)]
    with pytest.raises(core.InvalidTransfer, match="at most"):
        core.validate_batch(too_many, ASSETS)


# --------------------------------------------------------------------------- posting


def test_debit_decreases_credit_increases_platform_may_go_negative() -> None:
    after = core.apply_batch({}, [t(BANK, A_AVAIL, 1250)], ASSETS)
    assert after == {BANK: -1250, A_AVAIL: 1250}


def test_insufficient_funds_names_asset_and_shortfall() -> None:
    with pytest.raises(core.InsufficientFunds) as info:
        core.apply_batch({A_AVAIL: 1000}, [t(A_AVAIL, A_RES, 1234)], ASSETS)
    assert info.value.code == "insufficient_funds"
    assert info.value.extra == {"asset": "EUR", "bucket": "available", "shortfall": "2.34"}


def test_legs_apply_in_order() -> None:
    """A later leg may spend what an earlier leg of the same batch brought in, not before."""
    ok = [t(BANK, A_AVAIL, 500, "a"), t(A_AVAIL, A_RES, 500, "b")]
    assert core.apply_batch({}, ok, ASSETS)[A_RES] == 500
    with pytest.raises(core.InsufficientFunds):
        core.apply_batch({}, list(reversed(ok)), ASSETS)


def test_balance_out_of_range() -> None:
    with pytest.raises(core.BalanceOutOfRange):
        core.apply_batch({A_AVAIL: 2**63 - 10}, [t(BANK, A_AVAIL, 100)], ASSETS)


def test_resubmission_rules() -> None:
    batch_id = uuid.UUID(int=9)
    first = [t(BANK, A_AVAIL, 100, "a"), t(A_AVAIL, A_RES, 50, "b")]
    existing = [core.ExistingTransfer(x, batch_id, 2) for x in first]
    assert core.classify_resubmission(first, []) is None
    assert core.classify_resubmission(first, existing) == batch_id
    with pytest.raises(core.IdempotencyConflict, match="different transfer"):
        core.classify_resubmission([first[0], t(A_AVAIL, A_RES, 51, "b")], existing)
    with pytest.raises(core.IdempotencyConflict, match="another batch"):
        core.classify_resubmission([first[0], t(A_AVAIL, A_RES, 1, "new")], existing[:1])
    with pytest.raises(core.IdempotencyConflict, match="different batch"):
        core.classify_resubmission(first[:1], existing[:1])


def test_asset_balances_lists_every_asset() -> None:
    rows = core.asset_balances([("EUR", "available", 5), ("EUR", "settling", 7)], ASSETS)
    assert [b.asset for b in rows] == ["CEA", "EUA", "EUR"]
    eur = rows[-1]
    assert (eur.available, eur.reserved, eur.settling, eur.total) == (5, 0, 7, 12)


# --------------------------------------------------------------------------- reconciliation


def figures(**kw: int) -> core.AccountFigures:
    base = dict(balance=0, transfer_sum=0, opening=0, debits=0, credits=0)
    base.update(kw)
    owner = kw.pop("owner", 1)
    key = AccountKey.entity(uuid.UUID(int=owner), "EUR", "available")
    return core.AccountFigures(account_id=uuid.UUID(int=owner), key=key, **base)  # type: ignore[arg-type]


def bank(**kw: int) -> core.AccountFigures:
    base = dict(balance=0, transfer_sum=0, opening=0, debits=0, credits=0)
    base.update(kw)
    return core.AccountFigures(account_id=uuid.UUID(int=999), key=BANK, **base)


def codes(found: list[core.Discrepancy]) -> list[str]:
    return [d.code for d in found]


def test_reconcile_healthy() -> None:
    accounts = [
        figures(balance=300, transfer_sum=300, opening=100, credits=200),
        bank(balance=-300, transfer_sum=-300, opening=-100, debits=200),
    ]
    assert (
        core.reconcile(
            accounts, ASSETS, previous_closing={uuid.UUID(int=1): 100, uuid.UUID(int=999): -100}
        )
        == []
    )


def test_reconcile_finds_each_violation() -> None:
    tampered = [
        figures(balance=301, transfer_sum=300, credits=300),
        bank(balance=-300, transfer_sum=-300, debits=300),
    ]
    found = core.reconcile(tampered, ASSETS)
    assert codes(found) == ["asset_sum_nonzero", "balance_mismatch"]
    assert str(uuid.UUID(int=1)) in found[1].message
    assert found[1].as_dict(ASSETS)["actual"] == "3.01"

    negative = [
        figures(balance=-5, transfer_sum=-5, debits=5),
        bank(balance=5, transfer_sum=5, credits=5),
    ]
    assert codes(core.reconcile(negative, ASSETS)) == ["negative_balance"]

    accounts = [
        figures(balance=300, transfer_sum=300, opening=100, credits=200),
        bank(balance=-300, transfer_sum=-300, opening=-100, debits=200),
    ]
    found = core.reconcile(
        accounts, ASSETS, previous_closing={uuid.UUID(int=1): 90, uuid.UUID(int=999): -100}
    )
    assert codes(found) == ["opening_mismatch"]
    recorded = {
        uuid.UUID(int=1): core.DayFigures(100, 0, 200, 300),
        uuid.UUID(int=999): core.DayFigures(-100, 250, 0, -350),
    }
    assert codes(core.reconcile(accounts, ASSETS, recorded=recorded)) == ["history_changed"]
    assert codes(
        core.reconcile(
            accounts,
            ASSETS,
            previous_closing={uuid.UUID(int=5): 7, uuid.UUID(int=1): 100, uuid.UUID(int=999): -100},
        )
    ) == ["account_missing"]

    unbalanced = [figures(balance=0, transfer_sum=0, credits=5), bank(balance=0, transfer_sum=0)]
    assert codes(core.reconcile(unbalanced, ASSETS)) == ["day_unbalanced"]

    found = core.reconcile(
        [],
        ASSETS,
        broken_transfers=[(uuid.UUID(int=3), "x")],
        broken_batches=[(uuid.UUID(int=4), 2, 1)],
    )
    assert codes(found) == ["transfer_inconsistent", "batch_incomplete"]


def test_account_keys_hash_by_value_in_copies_and_pickles() -> None:
    owner = uuid.uuid4()
    key = AccountKey.entity(owner, "EUR", "available")
    same = AccountKey("entity", owner, "EUR", "available")
    assert key == same and hash(key) == hash(same) and {key: 1}[same] == 1
    other = AccountKey.entity(owner, "EUR", "reserved")
    assert key != other and len({key, same, other}) == 2
    for copied in (pickle.loads(pickle.dumps(key)), copy.deepcopy(key), copy.copy(key)):
        assert copied == key and hash(copied) == hash(key)
    assert replace(key, bucket="reserved") == other
    assert hash(replace(key, bucket="reserved")) == hash(other)
    assert sorted([other, key]) == [key, other]
    assert key < other and key <= other and other > key and other >= key and key <= same
    with pytest.raises(TypeError):
        _ = key < "entity"
    assert key != ("entity", owner, "EUR", "available")
    assert repr(key) == (
        f"AccountKey(owner_type='entity', owner_id={owner!r}, asset='EUR', bucket='available')"
    )


def test_account_keys_made_twice_are_one_object_until_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = uuid.uuid4()
    key = AccountKey.entity(owner, "EUR", core.Bucket.AVAILABLE)
    assert AccountKey.entity(owner, "EUR", "available") is key
    assert AccountKey.of("entity", owner, "EUR", "available") is key
    assert key.bucket == "available" and type(key.bucket) is str
    assert AccountKey.platform("EUR", "fees") is AccountKey.platform("EUR", "fees")
    assert AccountKey.entity(owner, "EUR", "reserved") is not key
    # Bounded: when full, every remembered key is forgotten (the keys stay valid).
    monkeypatch.setattr(core, "MAX_INTERNED", 1)
    AccountKey.entity(uuid.uuid4(), "EUR", "available")
    again = AccountKey.entity(owner, "EUR", "available")
    assert again is not key and again == key and hash(again) == hash(key)
    assert len(core._interned) == 1
