"""Channel rules: one function decides subscriptions, one decides delivery."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from niha.core.events import Event
from niha.realtime.channels import (
    ANONYMOUS,
    ChannelKind,
    channel_kind,
    check_subscribe,
    may_receive,
)


@dataclass(frozen=True)
class Sub:
    user_id: uuid.UUID
    entity_id: uuid.UUID | None
    role: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role is not None


ENTITY_A, ENTITY_B = uuid.uuid4(), uuid.uuid4()
ALICE = Sub(uuid.uuid4(), ENTITY_A)
ALEX = Sub(uuid.uuid4(), ENTITY_A)  # same entity as Alice
BOB = Sub(uuid.uuid4(), ENTITY_B)
STAFF = Sub(uuid.uuid4(), None, role="operations")


def event(
    channel: str, entity_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
) -> Event:
    return Event(
        channel=channel,
        event="x",
        data={},
        id=str(uuid.uuid4()),
        ts="2026-11-29T00:00:00Z",
        entity_id=str(entity_id) if entity_id else None,
        user_id=str(user_id) if user_id else None,
    )


@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        ("ticker", ChannelKind.PUBLIC),
        ("book.EUA-EUR", ChannelKind.PUBLIC),
        ("trades.CEA-EUR", ChannelKind.PUBLIC),
        ("orders", ChannelKind.PRIVATE),
        ("fills", ChannelKind.PRIVATE),
        ("balances", ChannelKind.PRIVATE),
        ("notifications", ChannelKind.PRIVATE),
        ("backoffice", ChannelKind.STAFF),
        ("book.", None),
        ("book.eua-eur", None),
        ("book.EUA-EUR.x", None),
        ("trades", None),
        ("orders.other", None),
        ("", None),
        ("x" * 1000, None),
        ("Ticker", None),
    ],
)
def test_channel_kinds(channel: str, kind: ChannelKind | None) -> None:
    assert channel_kind(channel) == kind


def test_subscribe_rules() -> None:
    for who in (ALICE, STAFF):
        for channel in ("ticker", "book.EUA-EUR", "trades.EUA-EUR", "orders", "notifications"):
            assert check_subscribe(who, channel) is None
    assert check_subscribe(ALICE, "backoffice") == "forbidden_channel"
    assert check_subscribe(STAFF, "backoffice") is None
    assert check_subscribe(ALICE, "nope") == "unknown_channel"
    assert check_subscribe(STAFF, "book.nope") == "unknown_channel"


def test_public_events_reach_everyone() -> None:
    for who in (ALICE, BOB, STAFF):
        assert may_receive(who, event("ticker"))
        assert may_receive(who, event("book.EUA-EUR", entity_id=ENTITY_A))


def test_backoffice_events_reach_staff_only() -> None:
    assert may_receive(STAFF, event("backoffice"))
    assert not may_receive(ALICE, event("backoffice"))


def test_private_events_reach_their_entity_or_user_only() -> None:
    orders_a = event("orders", entity_id=ENTITY_A)
    assert may_receive(ALICE, orders_a) and may_receive(ALEX, orders_a)
    assert not may_receive(BOB, orders_a)
    assert not may_receive(STAFF, orders_a)
    note_alice = event("notifications", user_id=ALICE.user_id)
    assert may_receive(ALICE, note_alice)
    assert not may_receive(ALEX, note_alice) and not may_receive(BOB, note_alice)
    staff_note = event("notifications", user_id=STAFF.user_id)
    assert may_receive(STAFF, staff_note) and not may_receive(ALICE, staff_note)
    # Unscoped private events reach nobody; entity A's event for user Bob reaches Bob too.
    assert not any(may_receive(w, event("balances")) for w in (ALICE, BOB, STAFF))
    mixed = event("fills", entity_id=ENTITY_A, user_id=BOB.user_id)
    assert may_receive(ALICE, mixed) and may_receive(BOB, mixed)


def test_unknown_channel_events_reach_nobody() -> None:
    assert not may_receive(STAFF, event("secret"))


def test_an_anonymous_visitor_gets_public_market_data_only() -> None:
    for channel in ("ticker", "book.EUA-EUR", "trades.CEA-EUR"):
        assert check_subscribe(ANONYMOUS, channel) is None
    for channel in ("orders", "fills", "balances", "notifications", "backoffice"):
        assert check_subscribe(ANONYMOUS, channel) == "not_authenticated"
    assert check_subscribe(ANONYMOUS, "nope") == "unknown_channel"
    assert may_receive(ANONYMOUS, event("ticker"))
    # Not even an event scoped to nobody, or to the nil ids it carries.
    for scoped in (
        event("orders"),
        event("orders", entity_id=uuid.UUID(int=0)),
        event("notifications", user_id=uuid.UUID(int=0)),
        event("backoffice"),
    ):
        assert not may_receive(ANONYMOUS, scoped)
