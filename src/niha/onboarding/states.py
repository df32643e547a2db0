"""The onboarding state machines, as data (pure: no I/O).

Contact requests: ``NEW -> CONTACTED -> CONVERTED | CLOSED`` (a NEW request may also be
closed, e.g. spam; ``invite`` converts a NEW or CONTACTED request). CONVERTED and CLOSED are
final.

Entities::

    DRAFT --submit--> PENDING_REVIEW --approve--> APPROVED
                         |   ^                       |
         request_changes |   | submit                | suspend
                         v   |                       v
                   CHANGES_REQUESTED              SUSPENDED --reactivate--> (status before)

Any submitted entity (PENDING_REVIEW, CHANGES_REQUESTED, APPROVED) may be suspended;
reactivation returns it to the status it was suspended from. The client edits the entity only
in DRAFT or CHANGES_REQUESTED.
"""

from __future__ import annotations

from enum import StrEnum


class ContactStatus(StrEnum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    CONVERTED = "CONVERTED"
    CLOSED = "CLOSED"


class ContactInterest(StrEnum):
    EUA = "EUA"
    CEA = "CEA"
    EUA_AND_CEA = "EUA_AND_CEA"
    SWAPS = "SWAPS"
    MARKET_MAKING = "MARKET_MAKING"
    OTHER = "OTHER"


CONTACT_TRANSITIONS: dict[ContactStatus, frozenset[ContactStatus]] = {
    ContactStatus.NEW: frozenset({ContactStatus.CONTACTED, ContactStatus.CLOSED}),
    ContactStatus.CONTACTED: frozenset({ContactStatus.CONVERTED, ContactStatus.CLOSED}),
    ContactStatus.CONVERTED: frozenset(),
    ContactStatus.CLOSED: frozenset(),
}
# ``invite`` sends the invitation and converts; a CONVERTED request may be invited again
# (a fresh link for a user who has not accepted yet).
CONTACT_INVITABLE: frozenset[ContactStatus] = frozenset(
    {ContactStatus.NEW, ContactStatus.CONTACTED, ContactStatus.CONVERTED}
)


def contact_transition_allowed(current: ContactStatus, target: ContactStatus) -> bool:
    return target in CONTACT_TRANSITIONS[current]


class EntityType(StrEnum):
    COMPANY = "COMPANY"
    INDIVIDUAL = "INDIVIDUAL"


class EntityStatus(StrEnum):
    DRAFT = "DRAFT"
    PENDING_REVIEW = "PENDING_REVIEW"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    APPROVED = "APPROVED"
    SUSPENDED = "SUSPENDED"


class EntityAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"


EDITABLE: frozenset[EntityStatus] = frozenset({EntityStatus.DRAFT, EntityStatus.CHANGES_REQUESTED})

ENTITY_TRANSITIONS: dict[EntityAction, dict[EntityStatus, EntityStatus | None]] = {
    EntityAction.SUBMIT: {
        EntityStatus.DRAFT: EntityStatus.PENDING_REVIEW,
        EntityStatus.CHANGES_REQUESTED: EntityStatus.PENDING_REVIEW,
    },
    EntityAction.APPROVE: {EntityStatus.PENDING_REVIEW: EntityStatus.APPROVED},
    EntityAction.REQUEST_CHANGES: {EntityStatus.PENDING_REVIEW: EntityStatus.CHANGES_REQUESTED},
    EntityAction.SUSPEND: {
        EntityStatus.PENDING_REVIEW: EntityStatus.SUSPENDED,
        EntityStatus.CHANGES_REQUESTED: EntityStatus.SUSPENDED,
        EntityStatus.APPROVED: EntityStatus.SUSPENDED,
    },
    # ``None``: back to the status the entity was suspended from.
    EntityAction.REACTIVATE: {EntityStatus.SUSPENDED: None},
}


def entity_transition(
    current: EntityStatus, action: EntityAction, suspended_from: EntityStatus | None = None
) -> EntityStatus | None:
    """The status after ``action``, or ``None`` when ``action`` is not allowed from ``current``."""
    allowed = ENTITY_TRANSITIONS[action]
    if current not in allowed:
        return None
    target = allowed[current]
    if target is None:
        return suspended_from or EntityStatus.PENDING_REVIEW
    return target
