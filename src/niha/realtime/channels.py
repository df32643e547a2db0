"""Channel rules: who may subscribe to what, and which events a subscriber receives.

- public market data: ``book.<instrument>``, ``trades.<instrument>``, ``ticker``: anyone,
  a visitor without a login included (:data:`ANONYMOUS`);
- ``backoffice``: staff only;
- private: ``orders``, ``fills``, ``balances``, ``notifications``: any signed-in user may
  subscribe, but receives only the events of its own entity (``entity_id``) or of itself
  (``user_id``); an event scoped to neither reaches nobody. A visitor may not.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Literal, Protocol

from niha.core.events import Event

INSTRUMENT_CHANNEL = re.compile(r"^(book|trades)\.([A-Z0-9]{2,12}-[A-Z0-9]{2,12})$")
PUBLIC_CHANNELS = frozenset({"ticker"})
PRIVATE_CHANNELS = frozenset({"orders", "fills", "balances", "notifications"})
STAFF_CHANNELS = frozenset({"backoffice"})
MAX_CHANNEL_LENGTH = 100


class Subscriber(Protocol):
    """What the rules need of a principal (``niha.identity.access.Principal`` fits)."""

    @property
    def user_id(self) -> uuid.UUID: ...

    @property
    def entity_id(self) -> uuid.UUID | None: ...

    @property
    def is_staff(self) -> bool: ...


_NOBODY = uuid.UUID(int=0)


class _Anonymous:
    """A visitor without a login: public market data only."""

    @property
    def user_id(self) -> uuid.UUID:
        return _NOBODY

    @property
    def entity_id(self) -> uuid.UUID | None:
        return None

    @property
    def is_staff(self) -> bool:
        return False


#: The subscriber of a socket that asked for public data without a token.
ANONYMOUS: Subscriber = _Anonymous()


class ChannelKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    STAFF = "staff"


def channel_kind(channel: str) -> ChannelKind | None:
    """The kind of ``channel``, or ``None`` when no such channel exists."""
    if len(channel) > MAX_CHANNEL_LENGTH:
        return None
    if channel in PUBLIC_CHANNELS or INSTRUMENT_CHANNEL.match(channel):
        return ChannelKind.PUBLIC
    if channel in PRIVATE_CHANNELS:
        return ChannelKind.PRIVATE
    if channel in STAFF_CHANNELS:
        return ChannelKind.STAFF
    return None


SubscribeError = Literal["unknown_channel", "forbidden_channel", "not_authenticated"]


def check_subscribe(subscriber: Subscriber, channel: str) -> SubscribeError | None:
    """``None`` when ``subscriber`` may subscribe to ``channel``, else the error code."""
    kind = channel_kind(channel)
    if kind is None:
        return "unknown_channel"
    if subscriber is ANONYMOUS and kind is not ChannelKind.PUBLIC:
        return "not_authenticated"
    if kind is ChannelKind.STAFF and not subscriber.is_staff:
        return "forbidden_channel"
    return None


def may_receive(subscriber: Subscriber, event: Event) -> bool:
    """Whether an event on a channel ``subscriber`` is subscribed to may be sent to it."""
    kind = channel_kind(event.channel)
    if kind is ChannelKind.PUBLIC:
        return True
    if subscriber is ANONYMOUS:
        return False
    if kind is ChannelKind.STAFF:
        return subscriber.is_staff
    if kind is ChannelKind.PRIVATE:
        entity_id = subscriber.entity_id
        if event.entity_id is not None and entity_id is not None:
            return event.entity_id == str(entity_id) or event.user_id == str(subscriber.user_id)
        return event.user_id is not None and event.user_id == str(subscriber.user_id)
    return False
