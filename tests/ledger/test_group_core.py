"""``core.apply_batches`` (the pure step of group commit) against the plain model: a group
of batches must end exactly as posting them one by one would."""

from __future__ import annotations

import uuid

from hypothesis import event, given, settings
from hypothesis import strategies as st

from niha.ledger import core
from niha.ledger.core import AccountKey, TransferRequest
from tests.ledger.machine import ASSETS, MemoryLedger

E1, E2 = uuid.UUID(int=1), uuid.UUID(int=2)
ACCOUNTS = [
    AccountKey.platform("EUR", "bank"),
    AccountKey.entity(E1, "EUR", "available"),
    AccountKey.entity(E1, "EUR", "reserved"),
    AccountKey.entity(E2, "EUR", "available"),
]


@st.composite
def transfers(draw: st.DrawFn) -> TransferRequest:
    debit, credit = draw(st.permutations(ACCOUNTS))[:2]
    if draw(st.integers(0, 9)) == 0:
        credit = debit  # now and then a malformed one
    return TransferRequest(
        debit,
        credit,
        draw(st.integers(1, 300)),
        draw(st.sampled_from(["pay", "fee"])),
        draw(st.sampled_from([f"k{n}" for n in range(8)])),  # few keys: reuse is common
    )


batches = st.lists(st.lists(transfers(), min_size=1, max_size=3), max_size=12)
# a new batch, or (an int) the exact repeat of an earlier one
batches_or_repeats = st.lists(
    st.one_of(st.lists(transfers(), min_size=1, max_size=3), st.integers(0, 40)), max_size=12
)


def bank_first(history: list[list[TransferRequest]]) -> list[list[TransferRequest]]:
    """Fund the entities first so that not everything is refused."""
    bank = ACCOUNTS[0]
    funding = [
        TransferRequest(bank, ACCOUNTS[1], 500, "deposit", "fund1"),
        TransferRequest(bank, ACCOUNTS[3], 500, "deposit", "fund2"),
    ]
    return [funding, *history]


def outcome(result: core.BatchResult) -> str:
    if result.posted:
        return "ok"
    if result.replay_of is not None:
        return "replayed"
    assert result.error is not None
    return result.error.code


@settings(max_examples=400, deadline=None)
@given(before=batches, drawn=batches_or_repeats)
def test_a_group_ends_as_posting_one_by_one(
    before: list[list[TransferRequest]], drawn: list[list[TransferRequest] | int]
) -> None:
    group: list[list[TransferRequest]] = []
    for item in drawn:
        seen = before + group
        if isinstance(item, int):
            if seen:
                group.append(list(seen[item % len(seen)]))
        else:
            group.append(item)

    # the state both sides start from: batches posted earlier, one by one
    model = MemoryLedger()
    for batch in bank_first(before):
        model.post(batch)
    batch_of = {key: e.batch_id for key, e in model.by_key.items()}
    balances = dict(model.bal)
    existing = list(model.by_key.values())

    # the group, as the writer runs it: malformed batches refused first, then one call
    valid: list[tuple[uuid.UUID, list[TransferRequest]]] = []
    refused: dict[int, str] = {}
    for i, batch in enumerate(group):
        try:
            core.validate_batch(batch, ASSETS)
        except core.LedgerError as exc:
            refused[i] = exc.code
        else:
            valid.append((uuid.UUID(int=10_000 + i), batch))
    results, after = core.apply_batches(balances, valid, existing, ASSETS)
    assert len(results) == len(valid)
    got = dict(refused)
    by_index = {id_.int - 10_000: r for (id_, _), r in zip(valid, results, strict=True)}
    got.update({i: outcome(r) for i, r in by_index.items()})

    # the model posts the same batches one by one
    for i, batch in enumerate(group):
        expected = model.post(batch)
        assert got[i] == expected, (i, batch)
        event(expected)
        result = by_index.get(i)
        if result is None:
            continue
        if result.posted:
            # the balances after this batch, as the model has them at this point
            assert dict(result.balances) == {k: model.bal[k] for k in result.balances}
            for t in batch:
                batch_of[t.key] = uuid.UUID(int=10_000 + i)
        elif result.replay_of is not None:
            assert result.replay_of == batch_of[batch[0].key]
        else:
            assert result.balances == {}

    final = {**balances, **after}
    assert {k: v for k, v in final.items() if v} == {k: v for k, v in model.bal.items() if v}
    assert all(v >= 0 for k, v in final.items() if k.is_client)


def test_a_refused_batch_leaves_the_others_going() -> None:
    _, a_avail, a_res, b_avail = ACCOUNTS
    start = {a_avail: 100}
    group = [
        (uuid.UUID(int=1), [TransferRequest(a_avail, b_avail, 60, "pay", "x1")]),
        (uuid.UUID(int=2), [TransferRequest(a_avail, b_avail, 60, "pay", "x2")]),
        (uuid.UUID(int=3), [TransferRequest(a_avail, a_res, 40, "reserve", "x3")]),
        (uuid.UUID(int=4), [TransferRequest(a_avail, b_avail, 60, "pay", "x1")]),
        (uuid.UUID(int=5), [TransferRequest(a_avail, b_avail, 61, "pay", "x1")]),
    ]
    results, after = core.apply_batches(start, group, [], ASSETS)
    assert [outcome(r) for r in results] == [
        "ok",
        "insufficient_funds",
        "ok",
        "replayed",
        "idempotency_conflict",
    ]
    assert results[3].replay_of == uuid.UUID(int=1)
    assert after == {a_avail: 0, b_avail: 60, a_res: 40}
    assert results[0].balances == {a_avail: 40, b_avail: 60}
    assert start == {a_avail: 100}  # the input is left alone
