"""Demo market for ``niha seed-demo``: client entities, KYC, funding, balances, history, orders.

Each client goes through the domain services as a real one would: its owner creates the
entity, uploads the required KYC documents (tiny generated PDFs/PNGs, stored like any
upload) and submits it; the demo compliance officer approves the documents and the
entity. Funding: a bank account verified by operations, two deposits received and released
(the ledger moves through ``on_hold``), one on hold (the AML queue), one announced, and one
pending withdrawal (its amount reserved). Only the owner's user row is written here (the
identity service creates entity members only by invitation).

Idempotent: users are found by e-mail, KYC steps are done only where missing, funding is
created once per entity (when it has no bank account), balances are ledger transfers with
fixed idempotency keys, the trade history is written once per instrument (when it has no
trades yet) and the resting orders once (when the liquidity provider has none open).

The months of history are imported rows (orders FILLED, their fills and trades), like a
venue migrating its past tape: they feed charts and statistics and carry no ledger
movements. The resting orders go through the real order service (reservations included).
"""

from __future__ import annotations

import random
import struct
import uuid
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit.service import Actor
from niha.config import Settings, get_settings
from niha.core.clock import utcnow
from niha.core.ids import new_id
from niha.exchange import service as exchange
from niha.exchange.models import Instrument, Order, OrderFill, Trade
from niha.funding import service as funding
from niha.identity import service as identity
from niha.identity.models import User
from niha.kyc import service as kyc
from niha.kyc.checklist import DocumentStatus, DocumentType, ItemState
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey
from niha.onboarding import service as onboarding

# (e-mail, user name, legal name, country, EUR, EUA, CEA, label)
DEMO_CLIENTS = [
    ("anna@nordicsteel.example", "Anna Lindqvist", "Nordic Steel AB", "SE",
     250_000_000, 20_000, 5_000, "Owner, Nordic Steel AB"),
    ("ben@rhinechem.example", "Ben Weber", "Rhine Chemicals GmbH", "DE",
     150_000_000, 8_000, 30_000, "Owner, Rhine Chemicals"),
    ("marco@atlascarbon.example", "Marco Rossi", "Atlas Carbon Partners S.r.l.", "IT",
     500_000_000, 60_000, 200_000, "LP owner, Atlas Carbon"),
    ("lena@balticpower.example", "Lena Tamm", "Baltic Power Trading OU", "EE",
     300_000_000, 40_000, 150_000, "Trader, Baltic Power"),
]  # fmt: skip
#: The demo's liquidity provider (it quotes) and its active trader (it takes): under
#: ``make run`` both are run by :mod:`niha.demo_market`.
PROVIDER_EMAIL = "marco@atlascarbon.example"
TRADER_EMAIL = "lena@balticpower.example"
# each client's bank account: (IBAN, BIC, bank name)
DEMO_BANKS = [
    ("SE4550000000058398257466", "ESSESESS", "Skandinaviska Enskilda Banken"),
    ("DE89370400440532013000", "COBADEFFXXX", "Commerzbank"),
    ("IT60X0542811101000000123456", "BPMOIT22XXX", "Banco BPM"),
    ("EE382200221020145685", "HABAEE2X", "Swedbank AS"),
]

# instrument -> (start price, end price target, daily volatility in bps, quantity range)
MARKETS = {
    "EUA-EUR": (6_850, 7_240, 180, (10, 400)),
    "CEA-EUR": (1_180, 1_265, 120, (50, 1_500)),
}
HISTORY_DAYS = 180


def _demo_pdf(title: str) -> bytes:
    """A tiny, valid one-page PDF (a placeholder for a scanned document)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 72 720 Td (Niha demo - {text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _demo_png(seed: str) -> bytes:
    """A tiny, valid 8x8 grey PNG whose shade depends on ``seed`` (a placeholder photo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    shade = sum(seed.encode()) % 200 + 30
    raw = b"".join(b"\x00" + bytes([shade]) * 8 for _ in range(8))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class Staff:
    """The demo staff who act in the seed (found by e-mail; created by :mod:`niha.seed`)."""

    compliance: Actor
    operations: Actor
    admin: Actor


def _actor(user: User) -> Actor:
    return Actor(id=user.id, email=user.email, user_agent="seed-demo")


async def _staff(session: AsyncSession) -> Staff:
    users = {}
    for email in ("compliance@niha.example", "operations@niha.example", "admin@niha.example"):
        user = await identity.find_user_by_email(session, email)
        if user is None:  # pragma: no cover - niha.seed creates them first
            raise RuntimeError(f"the demo staff user {email} is missing")
        users[email.split("@")[0]] = _actor(user)
    return Staff(users["compliance"], users["operations"], users["admin"])


async def _owner(session: AsyncSession, email: str, name: str, password: str) -> User:
    """The entity's owner, active with the demo password (real owners arrive by invitation)."""
    user = await identity.find_user_by_email(session, email)
    if user is not None:
        return user
    return await identity.create_entity_owner(
        session, email=email, password=password, name=name, actor=Actor.system("seed-demo")
    )


async def _entity(
    session: AsyncSession, user: User, spec: tuple[Any, ...], actor: Actor
) -> uuid.UUID:
    if user.entity_id is not None:
        return user.entity_id
    legal, country = spec[2], spec[3]
    entity = await onboarding.create_entity(
        session,
        user_id=user.id,
        caller_entity_id=None,
        data=onboarding.EntityFields(
            entity_type="COMPANY",
            legal_name=legal,
            registration_number=f"DEMO-{zlib.crc32(legal.encode()) % 10**6:06d}",
            jurisdiction=country,
            address_line1="1 Demo Street",
            city="Demo City",
            postal_code="10000",
            country=country,
            incorporation_date=date(2009, 3, 2),
            website="https://example.com",
            contact_email=spec[0],
        ),
        actor=actor,
    )
    return entity.id


async def _kyc(
    session: AsyncSession,
    settings: Settings,
    entity_id: uuid.UUID,
    user: User,
    client: Actor,
    staff: Staff,
) -> None:
    """Upload every required document, submit, and have compliance approve it all."""
    entity = await onboarding.get_entity(session, entity_id)
    evaluation = await kyc.evaluate(session, entity.id, entity.entity_type, entity.status)
    for item in evaluation.items:
        if item.state in (ItemState.APPROVED, ItemState.PENDING):
            continue
        kind = item.document_type
        is_photo = kind in (DocumentType.PASSPORT, DocumentType.NATIONAL_ID)
        label = f"{entity.legal_name} - {kind.value.replace('_', ' ')}"
        await kyc.upload_document(
            session,
            settings,
            entity_id=entity.id,
            user_id=user.id,
            document_type=kind,
            filename=f"{kind.value}.{'png' if is_photo else 'pdf'}",
            data=_demo_png(label) if is_photo else _demo_pdf(label),
            client_notes="Demo document",
            actor=client,
        )
    if entity.status in ("DRAFT", "CHANGES_REQUESTED"):
        await onboarding.submit_entity(session, entity.id, caller_entity_id=entity.id, actor=client)
    for doc in await kyc.entity_documents(session, entity.id):
        if doc.status == DocumentStatus.PENDING_REVIEW:
            await kyc.approve_document(session, doc.id, actor=staff.compliance)
    entity = await onboarding.get_entity(session, entity_id)
    if entity.status == "PENDING_REVIEW":
        await onboarding.approve_entity(session, entity.id, actor=staff.compliance)


async def _client(
    session: AsyncSession,
    settings: Settings,
    spec: tuple[Any, ...],
    password: str,
    staff: Staff,
) -> uuid.UUID:
    user = await _owner(session, spec[0], spec[1], password)
    client = _actor(user)
    entity_id = await _entity(session, user, spec, client)
    await _kyc(session, settings, entity_id, user, client, staff)
    return entity_id


async def _deposit(
    session: AsyncSession,
    settings: Settings,
    *,
    entity_id: uuid.UUID,
    user: User,
    account: Any,
    amount: str,
    days_ago: float | None,
    clear: bool,
    staff: Staff,
) -> None:
    """Announce a deposit; with ``days_ago``, operations books the wire received then (on
    hold) and, with ``clear``, compliance (and admin when two are needed) releases it."""
    client = _actor(user)
    deposit = await funding.announce_deposit(
        session,
        settings,
        entity_id=entity_id,
        user_id=user.id,
        amount=amount,
        currency="EUR",
        wire_reference="Demo top-up",
        bank_account_id=account.id,
        actor=client,
    )
    if days_ago is None:
        return
    _, hold = await funding.confirm_deposit(
        session,
        settings,
        deposit.id,
        funding.Receipt(
            actual_amount=amount,
            actual_currency="EUR",
            received_at=utcnow() - timedelta(days=days_ago),
            payer_name=account.account_name,
            payer_iban=account.iban,
        ),
        staff_id=_id(staff.operations),
        actor=staff.operations,
    )
    if not clear:
        return
    hold = await funding.release_hold(
        session, hold.id, staff_id=_id(staff.compliance), actor=staff.compliance
    )
    if hold.status == funding.HoldStatus.ACTIVE:  # a second, different person
        await funding.release_hold(session, hold.id, staff_id=_id(staff.admin), actor=staff.admin)


def _id(actor: Actor) -> uuid.UUID:
    assert actor.id is not None
    return actor.id


async def _banking(
    session: AsyncSession,
    settings: Settings,
    entity_id: uuid.UUID,
    spec: tuple[Any, ...],
    bank: tuple[str, str, str],
    staff: Staff,
) -> None:
    """A verified bank account, two cleared deposits, one on hold, one announced, and a
    pending withdrawal — once (skipped when the entity has a bank account)."""
    if await funding.list_bank_accounts(session, entity_id):
        return
    user = await identity.find_user_by_email(session, spec[0])
    assert user is not None
    client = _actor(user)
    iban, swift, bank_name = bank
    account = await funding.create_bank_account(
        session,
        entity_id=entity_id,
        user_id=user.id,
        data=funding.BankAccountData(
            account_name=spec[2], iban=iban, swift=swift, bank_name=bank_name, country=spec[3]
        ),
        actor=client,
    )
    account = await funding.verify_bank_account(
        session,
        settings,
        account.id,
        staff_id=_id(staff.operations),
        filename="bank-confirmation.pdf",
        data=_demo_pdf(f"{spec[2]} - bank account confirmation {iban}"),
        notes="Demo: bank confirmation letter checked",
        actor=staff.operations,
    )
    # (amount, received how many days ago — None: only announced, released?)
    deposits: list[tuple[str, float | None, bool]] = [
        ("25000.00", 40, True),
        ("40000.00", 12, True),
        ("60000.00", 0.1, False),  # on hold: the backoffice AML queue
        ("30000.00", None, False),  # announced, not received yet
    ]
    for amount, days_ago, clear in deposits:
        await _deposit(
            session,
            settings,
            entity_id=entity_id,
            user=user,
            account=account,
            amount=amount,
            days_ago=days_ago,
            clear=clear,
            staff=staff,
        )
    await funding.request_withdrawal(
        session,
        settings,
        entity_id=entity_id,
        user_id=user.id,
        amount="15000.00",
        currency="EUR",
        bank_account_id=account.id,
        reason="Demo: monthly sweep to our bank",
        actor=client,
    )


async def _fund(session: AsyncSession, entity_id: uuid.UUID, email: str, spec: tuple[Any, ...]):  # type: ignore[no-untyped-def]
    for asset, amount, source in (("EUR", spec[4], "bank"), ("EUA", spec[5], "registry"),
                                  ("CEA", spec[6], "registry")):  # fmt: skip
        await ledger.transfer(
            session,
            AccountKey.platform(asset, source),
            AccountKey.entity(entity_id, asset, "available"),
            amount,
            kind="demo_funding",
            key=f"seed-demo:{email}:{asset}",
        )


async def _history(
    session: AsyncSession, inst: Instrument, entities: list[uuid.UUID], rng: random.Random
) -> None:
    if await session.scalar(select(func.count()).where(Trade.instrument_id == inst.id)):
        return
    start, target, vol_bps, (qmin, qmax) = MARKETS[inst.symbol]
    now = utcnow()
    t = now - timedelta(days=HISTORY_DAYS)
    price = float(start)
    orders: list[dict[str, Any]] = []
    fills: list[dict[str, Any]] = []
    trades: list[dict[str, Any]] = []
    while True:
        recent = now - t < timedelta(days=3)
        step = (
            timedelta(minutes=rng.uniform(4, 16))
            if recent
            else timedelta(minutes=rng.uniform(60, 180))
        )
        if t + step > now - timedelta(minutes=1):
            break  # the history ends before the seed runs: no trade in the future
        t += step
        drift = (target - price) / max((now - t).total_seconds() / 3600, 24) * 0.02
        shock = (
            price * (vol_bps / 10_000) * rng.gauss(0, 1) * (step.total_seconds() / 86_400) ** 0.5
        )
        price = max(price + drift + shock, start * 0.5)
        cents = round(price)
        qty = int(rng.triangular(qmin, qmax, qmin * 3))
        buyer, seller = rng.sample(entities, 2)
        taker_side = rng.choice(["BUY", "SELL"])
        trade_id, buy_id, sell_id = new_id(), new_id(), new_id()
        for oid, side, ent in ((buy_id, "BUY", buyer), (sell_id, "SELL", seller)):
            notional = cents * qty
            bps = 10 if side == taker_side else 5
            fee = -(-notional * bps // 10_000)
            orders.append({
                "id": oid, "instrument_id": inst.id, "entity_id": ent, "user_id": None,
                "client_order_id": None, "side": side, "kind": "LIMIT", "time_in_force": "GTC",
                "post_only": False, "price": cents, "protection_price": None, "quantity": qty,
                "filled_quantity": qty, "filled_notional": notional,
                "taker_notional": notional if side == taker_side else 0, "fee_total": fee,
                "reserved_asset": "EUR" if side == "BUY" else inst.base_asset,
                "reserved_amount": 0, "reserved_remaining": 0, "status": "FILLED",
                "reason": None, "reason_detail": "imported history", "sequence": 0,
                "last_sequence": 0, "cancelled_by": None, "created_at": t, "updated_at": t,
            })  # fmt: skip
            fills.append({
                "id": new_id(), "order_id": oid, "trade_id": trade_id, "instrument_id": inst.id,
                "entity_id": ent, "side": side,
                "liquidity": "TAKER" if side == taker_side else "MAKER",
                "price": cents, "quantity": qty, "fee": fee, "created_at": t,
            })  # fmt: skip
        trades.append({
            "id": trade_id, "instrument_id": inst.id, "sequence": 0, "price": cents,
            "quantity": qty, "buy_order_id": buy_id, "sell_order_id": sell_id,
            "buyer_entity_id": buyer, "seller_entity_id": seller,
            "maker_side": "SELL" if taker_side == "BUY" else "BUY",
            "buyer_fee": fills[-2]["fee"], "seller_fee": fills[-1]["fee"], "status": "CONFIRMED",
            "confirmed_by": None, "confirmed_at": None, "settlement_batch_id": None,
            "created_at": t,
        })  # fmt: skip
    for table, rows in ((Order, orders), (OrderFill, fills), (Trade, trades)):
        for i in range(0, len(rows), 2000):
            await session.execute(insert(table), rows[i : i + 2000])
    last = trades[-1]["price"]
    inst.last_price = last
    inst.reference_price = last


async def _resting(
    session: AsyncSession,
    settings: Settings,
    inst: Instrument,
    entities: list[uuid.UUID],
    rng: random.Random,
) -> None:
    mid = inst.last_price or MARKETS[inst.symbol][1]
    tick = max(mid // 400, 1)  # levels about 0.25 % apart
    _, _, _, (qmin, qmax) = MARKETS[inst.symbol]
    for level in range(1, 9):
        for side, sign in (("BUY", -1), ("SELL", 1)):
            for who in rng.sample(entities, 2):
                await exchange.place_order(
                    session,
                    settings,
                    who,
                    None,
                    exchange.NewOrder(
                        symbol=inst.symbol,
                        side=side,
                        kind="LIMIT",
                        quantity=int(rng.uniform(qmin, qmax / 2)),
                        price=mid + sign * (tick * level + rng.randint(0, 3)),
                    ),
                )


async def seed_market(
    session: AsyncSession, password: str, settings: Settings | None = None
) -> list[tuple[str, str, bool]]:
    settings = settings or get_settings()
    staff = await _staff(session)
    result = []
    entities = []
    for spec, bank in zip(DEMO_CLIENTS, DEMO_BANKS, strict=True):
        existed = await identity.find_user_by_email(session, spec[0])
        entity_id = await _client(session, settings, spec, password, staff)
        await _fund(session, entity_id, spec[0], spec)
        await _banking(session, settings, entity_id, spec, bank, staff)
        entities.append(entity_id)
        result.append((spec[0], spec[7], existed is None))
    rng = random.Random(20261129)
    instruments = list(
        (await session.scalars(select(Instrument).order_by(Instrument.symbol))).all()
    )
    for inst in instruments:
        await _history(session, inst, entities, rng)
    await session.flush()
    provider = entities[[c[0] for c in DEMO_CLIENTS].index(PROVIDER_EMAIL)]
    has_orders = await session.scalar(
        select(func.count()).where(Order.entity_id == provider, Order.status == "OPEN")
    )
    if not has_orders:
        await session.commit()  # the order service sequences (and commits) each order
        for inst in instruments:
            await _resting(session, settings, inst, entities, rng)
    return result
