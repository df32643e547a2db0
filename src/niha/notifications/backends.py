"""Email delivery backends: ``outbox`` (.eml files, the default), ``smtp`` and ``resend``.

A backend sends one :class:`OutgoingEmail` or raises :class:`DeliveryError`; whether and
when to try again is the delivery service's business, not the backend's.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib
import httpx

from niha.config import Settings
from niha.core.clock import utcnow


class DeliveryError(Exception):
    """Sending failed. ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class OutgoingEmail:
    id: uuid.UUID
    sender: str
    to: str
    subject: str
    text: str
    html: str


class EmailBackend(Protocol):
    name: str

    async def send(self, email: OutgoingEmail) -> None: ...


def _domain_of(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "niha.local"


def build_message(email: OutgoingEmail) -> EmailMessage:
    """An RFC 5322 message, multipart/alternative (text first, then HTML)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = email.sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(utcnow())
    # Deterministic: a retried delivery carries the same Message-ID, so receivers can dedup.
    message["Message-ID"] = f"<{email.id}@{_domain_of(email.sender)}>"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


def _check_address(value: str) -> None:
    if "\r" in value or "\n" in value:
        raise DeliveryError("address contains a line break", permanent=True)
    try:
        Address(addr_spec=value)
    except (ValueError, IndexError) as exc:
        raise DeliveryError(f"invalid address {value!r}", permanent=True) from exc


class OutboxBackend:
    """Writes each email as ``<UTC timestamp>_<id>.eml`` under a directory, atomically."""

    name = "outbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, email: OutgoingEmail) -> Path:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        return self.directory / f"{stamp}_{email.id}.eml"

    def _write(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    async def send(self, email: OutgoingEmail) -> None:
        _check_address(email.to)
        data = build_message(email).as_bytes()
        try:
            await asyncio.to_thread(self._write, self.path_for(email), data)
        except OSError as exc:
            raise DeliveryError(f"outbox write failed: {exc}") from exc


class SmtpBackend:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    async def send(self, email: OutgoingEmail) -> None:
        _check_address(email.to)
        try:
            await aiosmtplib.send(
                build_message(email),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(r.code >= 500 for r in exc.recipients)
            raise DeliveryError(f"recipient refused: {exc}", permanent=permanent) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.code}: {exc.message}", permanent=500 <= exc.code < 600
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP failed: {exc}") from exc


class ResendBackend:
    """Resend's HTTP API (``POST /emails``); the email id is the idempotency key."""

    name = "resend"

    def __init__(
        self,
        api_url: str,
        api_key: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.api_url, self.api_key = api_url, api_key
        self.transport, self.timeout = transport, timeout

    async def send(self, email: OutgoingEmail) -> None:
        _check_address(email.to)
        if not self.api_key:
            raise DeliveryError("NIHA_RESEND_API_KEY is not set")
        payload = {
            "from": email.sender,
            "to": [email.to],
            "subject": email.subject,
            "text": email.text,
            "html": email.html,
        }
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Idempotency-Key": str(email.id),
        }
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as client:
                response = await client.post(self.api_url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Resend request failed: {exc!r}") from exc
        if response.is_success:
            return
        status = response.status_code
        permanent = 400 <= status < 500 and status not in {408, 409, 429}
        raise DeliveryError(f"Resend HTTP {status}: {response.text[:500]}", permanent=permanent)


def backend_for(settings: Settings) -> EmailBackend:
    if settings.email_backend == "smtp":
        return SmtpBackend(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )
    if settings.email_backend == "resend":
        return ResendBackend(settings.resend_api_url, settings.resend_api_key)
    return OutboxBackend(settings.outbox_dir)
