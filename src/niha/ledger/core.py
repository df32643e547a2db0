"""The ledger's arithmetic and rules, pure: no I/O, no clock, no randomness.

Convention (one column per account, TigerBeetle's ``credits - debits``): a transfer
of ``amount`` from its *debit* account to its *credit* account does
``debit.balance -= amount`` and ``credit.balance += amount``. Every transfer keeps
the sum over all accounts of its asset at zero; platform accounts may go negative
(``bank`` and ``registry`` mirror the outside world), client buckets never do.

Everything here works on plain values so it can be tested exhaustively and reused
by the database service, the property tests' model and the reconciliation.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from niha.core.money import BIGINT_MAX, BIGINT_MIN, MAX_AMOUNT, format_amount


class OwnerType(StrEnum):
    ENTITY = "entity"
    PLATFORM = "platform"


class Bucket(StrEnum):
    # client (entity) buckets
    AVAILABLE = "available"
    RESERVED = "reserved"
    ON_HOLD = "on_hold"
    SETTLING = "settling"
    # platform buckets
    BANK = "bank"
    REGISTRY = "registry"
    FEES = "fees"
    SUSPENSE = "suspense"


CLIENT_BUCKETS: tuple[Bucket, ...] = (
    Bucket.AVAILABLE,
    Bucket.RESERVED,
    Bucket.ON_HOLD,
    Bucket.SETTLING,
)
PLATFORM_BUCKETS: tuple[Bucket, ...] = (Bucket.BANK, Bucket.REGISTRY, Bucket.FEES, Bucket.SUSPENSE)
BUCKETS_BY_OWNER: dict[OwnerType, tuple[Bucket, ...]] = {
    OwnerType.ENTITY: CLIENT_BUCKETS,
    OwnerType.PLATFORM: PLATFORM_BUCKETS,
}

#: The owner id of every platform account.
PLATFORM_OWNER_ID = uuid.UUID(int=0)

MAX_BATCH = 1000
MAX_KIND = 40
MAX_KEY = 200
MAX_REFERENCE_TYPE = 40
MAX_REFERENCE_ID = 100


@dataclass(frozen=True)
class AccountKey:
    """An account's natural identity: (owner, asset, bucket).

    Hashed once, when made: an order looks keys up in dicts and sets ~120 times, and
    hashing anew each time (four fields, one a UUID whose hash is computed in Python)
    cost about 3% of the order lane's CPU (estimated: ~0.2 us a hash). Ordered by
    (owner type, owner id, asset, bucket), compared through a tuple made once too (a
    batch's ~30 keys are sorted for every lock and event: a comparison that builds two
    tuples and compares two UUIDs in Python cost ~1 us)."""

    owner_type: str
    owner_id: uuid.UUID
    asset: str
    bucket: str
    _hash: int = field(init=False, repr=False, compare=False)
    _order: tuple[str, int, str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        order = (self.owner_type, self.owner_id.int, self.asset, self.bucket)
        object.__setattr__(self, "_order", order)
        object.__setattr__(
            self, "_hash", hash((self.owner_type, self.owner_id, self.asset, self.bucket))
        )

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not AccountKey:
            return NotImplemented
        return self._order == other._order

    def __lt__(self, other: object) -> bool:
        if type(other) is not AccountKey:
            return NotImplemented
        return self._order < other._order

    def __le__(self, other: object) -> bool:
        if type(other) is not AccountKey:
            return NotImplemented
        return self._order <= other._order

    def __gt__(self, other: object) -> bool:
        if type(other) is not AccountKey:
            return NotImplemented
        return self._order > other._order

    def __ge__(self, other: object) -> bool:
        if type(other) is not AccountKey:
            return NotImplemented
        return self._order >= other._order

    def __reduce__(self) -> tuple[Any, ...]:
        # A copy or an unpickled key hashes anew (str hashes differ between processes).
        return (AccountKey, (self.owner_type, self.owner_id, self.asset, self.bucket))

    @classmethod
    def of(cls, owner_type: str, owner_id: uuid.UUID, asset: str, bucket: str) -> AccountKey:
        """The key of these parts: the same object each time (while it is remembered).

        An order makes ~20 keys and looks each up in dicts and sets; a key made anew
        costs ~1 us (a frozen dataclass) and every lookup of it compares fields, while a
        key seen before costs a dict lookup and is found by identity. (Looked up by the
        owner id's integer: a UUID hashes in Python.)"""
        parts = (owner_type, owner_id.int, asset, bucket)
        key = _interned.get(parts)
        if key is None:
            if len(_interned) >= MAX_INTERNED:
                _interned.clear()
            key = _interned[parts] = cls(owner_type, owner_id, asset, str(bucket))
        return key

    @classmethod
    def entity(cls, owner_id: uuid.UUID, asset: str, bucket: str) -> AccountKey:
        return cls.of(OwnerType.ENTITY.value, owner_id, asset, bucket)

    @classmethod
    def platform(cls, asset: str, bucket: str) -> AccountKey:
        return cls.of(OwnerType.PLATFORM.value, PLATFORM_OWNER_ID, asset, bucket)

    @property
    def is_client(self) -> bool:
        return self.owner_type == OwnerType.ENTITY

    def __str__(self) -> str:
        if self.owner_type == OwnerType.PLATFORM:
            return f"platform:{self.asset}:{self.bucket}"
        return f"entity:{self.owner_id}:{self.asset}:{self.bucket}"


#: The keys :meth:`AccountKey.of` hands out again (forgotten all at once when full).
MAX_INTERNED = 100_000
_interned: dict[tuple[str, int, str, str], AccountKey] = {}
#: Keys :func:`validate_account` found well formed (owner type, bucket, owner id): a
#: batch's ~60 keys are mostly the same few, checked again for every batch.
_well_formed: set[AccountKey] = set()


@dataclass(frozen=True)
class TransferRequest:
    """One leg to post: ``amount`` (minor units, > 0) from ``debit`` to ``credit``."""

    debit: AccountKey
    credit: AccountKey
    amount: int
    kind: str
    key: str
    reference_type: str | None = None
    reference_id: str | None = None

    @property
    def asset(self) -> str:
        return self.debit.asset

    def content(self) -> tuple[Any, ...]:
        """What must match for a resubmission with the same key to be a no-op."""
        return (
            self.debit,
            self.credit,
            self.amount,
            self.kind,
            self.reference_type,
            self.reference_id,
        )


@dataclass(frozen=True)
class ExistingTransfer:
    """A transfer already posted under one of the requested keys."""

    request: TransferRequest
    batch_id: uuid.UUID
    batch_size: int


# --------------------------------------------------------------------------- errors


class LedgerError(Exception):
    """A refused ledger operation; ``code`` is stable and ``extra`` is safe to show."""

    code = "ledger_error"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidTransfer(LedgerError):
    code = "invalid_transfer"


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"

    def __init__(self, account: AccountKey, shortfall: int, scale: int) -> None:
        self.account = account
        self.shortfall = shortfall
        super().__init__(
            f"{account.bucket.capitalize()} {account.asset} is short by "
            f"{format_amount(shortfall, scale, grouped=True)} {account.asset}",
            asset=account.asset,
            bucket=account.bucket,
            shortfall=format_amount(shortfall, scale),
        )


class BalanceOutOfRange(LedgerError):
    code = "balance_out_of_range"


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"


# --------------------------------------------------------------------------- validation


def validate_account(account: AccountKey, assets: Mapping[str, int]) -> None:
    if account in _well_formed:  # only its asset's existence is left to check
        if account.asset not in assets:
            raise InvalidTransfer(f"unknown asset {account.asset!r}", asset=account.asset)
        return
    try:
        owner_type = OwnerType(account.owner_type)
    except ValueError:
        raise InvalidTransfer(f"unknown owner type {account.owner_type!r}") from None
    if account.asset not in assets:
        raise InvalidTransfer(f"unknown asset {account.asset!r}", asset=account.asset)
    if account.bucket not in BUCKETS_BY_OWNER[owner_type]:
        raise InvalidTransfer(
            f"bucket {account.bucket!r} does not exist for {owner_type.value} accounts",
            bucket=account.bucket,
        )
    if owner_type is OwnerType.PLATFORM and account.owner_id != PLATFORM_OWNER_ID:
        raise InvalidTransfer("platform accounts belong to the platform owner id")
    if owner_type is OwnerType.ENTITY and account.owner_id == PLATFORM_OWNER_ID:
        raise InvalidTransfer("the platform owner id is not an entity")
    if len(_well_formed) >= MAX_INTERNED:
        _well_formed.clear()
    _well_formed.add(account)


def _text(value: str | None, name: str, limit: int, *, required: bool) -> None:
    if value is None:
        if required:
            raise InvalidTransfer(f"{name} is required")
        return
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise InvalidTransfer(f"{name} must be 1 to {limit} printable characters")


def validate_batch(transfers: Sequence[TransferRequest], assets: Mapping[str, int]) -> None:
    """Refuse malformed batches before anything is read or written.

    ``assets`` maps each known asset code to its scale.
    """
    if not transfers:
        raise InvalidTransfer("a batch needs at least one transfer")
    if len(transfers) > MAX_BATCH:
        raise InvalidTransfer(f"a batch holds at most {MAX_BATCH} transfers")
    keys: set[str] = set()
    for t in transfers:
        validate_account(t.debit, assets)
        validate_account(t.credit, assets)
        if t.debit == t.credit:
            raise InvalidTransfer("debit and credit must be different accounts")
        if t.debit.asset != t.credit.asset:
            raise InvalidTransfer("debit and credit must hold the same asset")
        if isinstance(t.amount, bool) or not isinstance(t.amount, int):
            raise InvalidTransfer("amount must be an integer number of minor units")
        if t.amount <= 0:
            raise InvalidTransfer("amount must be positive")
        if t.amount > MAX_AMOUNT:
            raise InvalidTransfer("amount is too large")
        _text(t.kind, "kind", MAX_KIND, required=True)
        _text(t.key, "idempotency key", MAX_KEY, required=True)
        _text(t.reference_type, "reference_type", MAX_REFERENCE_TYPE, required=False)
        _text(t.reference_id, "reference_id", MAX_REFERENCE_ID, required=False)
        if t.key in keys:
            raise InvalidTransfer(f"idempotency key {t.key!r} appears twice in the batch")
        keys.add(t.key)


# --------------------------------------------------------------------------- posting


def apply_batch(
    balances: Mapping[AccountKey, int],
    transfers: Sequence[TransferRequest],
    assets: Mapping[str, int],
) -> dict[AccountKey, int]:
    """The balances of every touched account after the batch, or an exception.

    Transfers apply in order (as TigerBeetle's linked chains do): a client bucket
    must cover each debit at the moment it is applied. Accounts missing from
    ``balances`` start at zero.
    """
    after: dict[AccountKey, int] = {}
    for t in transfers:
        debit = after.get(t.debit, balances.get(t.debit, 0)) - t.amount
        credit = after.get(t.credit, balances.get(t.credit, 0)) + t.amount
        if debit < 0 and t.debit.is_client:
            raise InsufficientFunds(t.debit, -debit, assets[t.asset])
        if not (debit >= BIGINT_MIN and credit <= BIGINT_MAX):
            raise BalanceOutOfRange("the resulting balance is out of range")
        after[t.debit] = debit
        after[t.credit] = credit
    return after


def classify_resubmission(
    requested: Sequence[TransferRequest], existing: Sequence[ExistingTransfer]
) -> uuid.UUID | None:
    """``None`` when every key is new; the original batch id for an exact replay.

    A replay must repeat the whole original batch with the same content; anything
    else reusing a key is an :class:`IdempotencyConflict`.
    """
    if not existing:
        return None
    by_key = {e.request.key: e for e in existing}
    batch_ids = {e.batch_id for e in existing}
    for t in requested:
        original = by_key.get(t.key)
        if original is None:
            raise IdempotencyConflict(
                "some idempotency keys of this batch were already used in another batch",
                key=existing[0].request.key,
            )
        if original.request.content() != t.content():
            raise IdempotencyConflict(
                f"idempotency key {t.key!r} was already used for a different transfer",
                key=t.key,
            )
    batch_id = next(iter(batch_ids))
    if len(batch_ids) != 1 or existing[0].batch_size != len(requested):
        raise IdempotencyConflict(
            "these idempotency keys belong to a different batch", key=requested[0].key
        )
    return batch_id


@dataclass(frozen=True)
class BatchResult:
    """What became of one batch of a group (:func:`apply_batches`)."""

    #: Applied: ``balances`` holds every touched account after it.
    posted: bool = False
    #: An exact resubmission: the id of the original batch (nothing applied).
    replay_of: uuid.UUID | None = None
    #: Refused (``insufficient_funds``, ``idempotency_conflict``, ...): nothing applied.
    error: LedgerError | None = None
    balances: Mapping[AccountKey, int] = field(default_factory=dict)


def apply_batches(
    balances: Mapping[AccountKey, int],
    batches: Sequence[tuple[uuid.UUID, Sequence[TransferRequest]]],
    existing: Sequence[ExistingTransfer],
    assets: Mapping[str, int],
) -> tuple[list[BatchResult], dict[AccountKey, int]]:
    """Apply independent, validated batches in order, each as if it were posted alone.

    For group commit: the outcome of every batch is the one posting it by itself right
    after the batches before it would have -- a batch reusing keys (already posted, in
    ``existing``, or by an earlier batch of the group) is a replay of the original or an
    :class:`IdempotencyConflict`; one that does not fit the balances is refused; a
    refused batch changes nothing and the others go on. Returns one result per batch
    (same order) and the balances of every touched account after the whole group.
    """
    state: dict[AccountKey, int] = {}
    by_key = {e.request.key: e for e in existing}
    results: list[BatchResult] = []
    for batch_id, transfers in batches:
        known = [by_key[t.key] for t in transfers if t.key in by_key]
        if known:
            try:
                original = classify_resubmission(transfers, known)
            except LedgerError as exc:
                results.append(BatchResult(error=exc))
            else:
                results.append(BatchResult(replay_of=original))
            continue
        current = _Overlay(state, balances)
        try:
            after = apply_batch(current, transfers, assets)
        except LedgerError as exc:
            results.append(BatchResult(error=exc))
            continue
        state.update(after)
        for t in transfers:
            by_key[t.key] = ExistingTransfer(t, batch_id, len(transfers))
        results.append(BatchResult(posted=True, balances=after))
    return results, state


class _Overlay(Mapping[AccountKey, int]):
    """``top`` over ``base`` without copying either."""

    def __init__(self, top: Mapping[AccountKey, int], base: Mapping[AccountKey, int]) -> None:
        self.top, self.base = top, base

    def __getitem__(self, key: AccountKey) -> int:
        if key in self.top:
            return self.top[key]
        return self.base[key]

    def __iter__(self) -> Iterator[AccountKey]:
        yield from self.top
        yield from (k for k in self.base if k not in self.top)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Movement(Protocol):
    """Anything that moves ``amount`` from ``debit`` to ``credit`` (requested or posted)."""

    @property
    def debit(self) -> AccountKey: ...
    @property
    def credit(self) -> AccountKey: ...
    @property
    def amount(self) -> int: ...


def net_changes(transfers: Iterable[Movement]) -> dict[AccountKey, int]:
    """Net balance change per account (credits - debits)."""
    changes: dict[AccountKey, int] = defaultdict(int)
    for t in transfers:
        changes[t.debit] -= t.amount
        changes[t.credit] += t.amount
    return dict(changes)


# --------------------------------------------------------------------------- balances


@dataclass(frozen=True)
class AssetBalance:
    asset: str
    scale: int
    available: int = 0
    reserved: int = 0
    on_hold: int = 0
    settling: int = 0

    @property
    def total(self) -> int:
        return self.available + self.reserved + self.on_hold + self.settling


def asset_balances(
    accounts: Iterable[tuple[str, str, int]], assets: Mapping[str, int]
) -> list[AssetBalance]:
    """(asset, bucket, balance) rows of one entity -> one line per known asset."""
    figures: dict[str, dict[str, int]] = {code: {} for code in assets}
    for asset, bucket, balance in accounts:
        if bucket in CLIENT_BUCKETS:
            figures.setdefault(asset, {})[bucket] = balance
    return [
        AssetBalance(asset=code, scale=assets.get(code, 0), **figures[code])
        for code in sorted(figures)
    ]


# --------------------------------------------------------------------------- reconciliation


@dataclass(frozen=True)
class AccountFigures:
    """One account as the reconciliation sees it, for one day."""

    account_id: uuid.UUID
    key: AccountKey
    balance: int  # stored on the account row
    transfer_sum: int  # credits - debits over every transfer ever
    opening: int  # credits - debits of transfers before the day
    debits: int  # amounts debited during the day
    credits: int  # amounts credited during the day

    @property
    def closing(self) -> int:
        return self.opening + self.credits - self.debits


@dataclass(frozen=True)
class DayFigures:
    opening: int
    debits: int
    credits: int
    closing: int


@dataclass(frozen=True)
class Discrepancy:
    code: str
    message: str
    account_id: uuid.UUID | None = None
    account: str | None = None
    asset: str | None = None
    expected: int | None = None
    actual: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, scales: Mapping[str, int]) -> dict[str, Any]:
        scale = scales.get(self.asset or "", 0)
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.account_id is not None:
            out["account_id"] = str(self.account_id)
        if self.account is not None:
            out["account"] = self.account
        if self.asset is not None:
            out["asset"] = self.asset
        if self.expected is not None:
            out["expected"] = format_amount(self.expected, scale)
        if self.actual is not None:
            out["actual"] = format_amount(self.actual, scale)
        out.update(self.extra)
        return out


def reconcile(
    accounts: Sequence[AccountFigures],
    scales: Mapping[str, int],
    *,
    previous_closing: Mapping[uuid.UUID, int] | None = None,
    recorded: Mapping[uuid.UUID, DayFigures] | None = None,
    broken_transfers: Sequence[tuple[uuid.UUID, str]] = (),
    broken_batches: Sequence[tuple[uuid.UUID, int, int]] = (),
) -> list[Discrepancy]:
    """Every invariant violation visible in the figures, most fundamental first.

    ``previous_closing``: the closing balances recorded for the day before (when that
    day was reconciled after it ended); ``recorded``: this day's figures from an
    earlier run made after the day ended. ``broken_transfers``: transfers whose
    accounts do not hold the transfer's asset (id, reason). ``broken_batches``:
    (batch id, declared transfer count, transfers found).
    """
    found: list[Discrepancy] = []

    def fmt(asset: str, units: int) -> str:
        return format_amount(units, scales.get(asset, 0))

    sums: dict[str, int] = defaultdict(int)
    closing_sums: dict[str, int] = defaultdict(int)
    day_debits: dict[str, int] = defaultdict(int)
    day_credits: dict[str, int] = defaultdict(int)
    for a in accounts:
        sums[a.key.asset] += a.balance
        closing_sums[a.key.asset] += a.closing
        day_debits[a.key.asset] += a.debits
        day_credits[a.key.asset] += a.credits

    for asset in sorted(sums):
        if sums[asset] != 0:
            found.append(
                Discrepancy(
                    "asset_sum_nonzero",
                    f"{asset}: the balances of all accounts sum to {fmt(asset, sums[asset])}, "
                    "not 0",
                    asset=asset,
                    expected=0,
                    actual=sums[asset],
                )
            )
    for asset in sorted(closing_sums):
        if closing_sums[asset] != 0 or day_debits[asset] != day_credits[asset]:
            found.append(
                Discrepancy(
                    "day_unbalanced",
                    f"{asset}: the day's closing balances sum to "
                    f"{fmt(asset, closing_sums[asset])} and its movements net to "
                    f"{fmt(asset, day_credits[asset] - day_debits[asset])}, both must be 0",
                    asset=asset,
                    expected=0,
                    actual=closing_sums[asset],
                )
            )
    for transfer_id, reason in broken_transfers:
        found.append(
            Discrepancy(
                "transfer_inconsistent",
                f"transfer {transfer_id}: {reason}",
                extra={"transfer_id": str(transfer_id)},
            )
        )
    for batch_id, declared, actual in broken_batches:
        found.append(
            Discrepancy(
                "batch_incomplete",
                f"batch {batch_id} declares {declared} transfers but has {actual}",
                extra={"batch_id": str(batch_id), "declared": declared, "found": actual},
            )
        )
    for a in sorted(accounts, key=lambda x: x.key):
        asset = a.key.asset
        if a.balance != a.transfer_sum:
            found.append(
                Discrepancy(
                    "balance_mismatch",
                    f"account {a.account_id} ({a.key}): stored balance {fmt(asset, a.balance)} "
                    f"!= sum of its transfers {fmt(asset, a.transfer_sum)}",
                    account_id=a.account_id,
                    account=str(a.key),
                    asset=asset,
                    expected=a.transfer_sum,
                    actual=a.balance,
                )
            )
        if a.key.is_client and a.balance < 0:
            found.append(
                Discrepancy(
                    "negative_balance",
                    f"account {a.account_id} ({a.key}): client bucket is negative "
                    f"({fmt(asset, a.balance)})",
                    account_id=a.account_id,
                    account=str(a.key),
                    asset=asset,
                    expected=0,
                    actual=a.balance,
                )
            )
        if previous_closing is not None:
            prev = previous_closing.get(a.account_id, 0)
            if prev != a.opening:
                found.append(
                    Discrepancy(
                        "opening_mismatch",
                        f"account {a.account_id} ({a.key}): opening {fmt(asset, a.opening)} "
                        f"!= the previous day's recorded closing {fmt(asset, prev)}",
                        account_id=a.account_id,
                        account=str(a.key),
                        asset=asset,
                        expected=prev,
                        actual=a.opening,
                    )
                )
        if recorded is not None:
            before = recorded.get(a.account_id, DayFigures(0, 0, 0, 0))
            now = DayFigures(a.opening, a.debits, a.credits, a.closing)
            if before != now:
                found.append(
                    Discrepancy(
                        "history_changed",
                        f"account {a.account_id} ({a.key}): the day's figures changed since "
                        f"they were recorded (closing {fmt(asset, before.closing)} -> "
                        f"{fmt(asset, now.closing)})",
                        account_id=a.account_id,
                        account=str(a.key),
                        asset=asset,
                        expected=before.closing,
                        actual=now.closing,
                    )
                )
    if previous_closing is not None:
        known = {a.account_id for a in accounts}
        for account_id, closing in previous_closing.items():
            if account_id not in known and closing != 0:
                found.append(
                    Discrepancy(
                        "account_missing",
                        f"account {account_id} closed the previous day at {closing} "
                        "but no longer exists",
                        account_id=account_id,
                        expected=closing,
                        actual=0,
                    )
                )
    return found
