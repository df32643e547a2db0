"""Email templates (Jinja2): a subject, a plain-text part and a branded HTML part.

Each template ``<name>`` is three files under ``templates/``: ``<name>.subject.txt``,
``<name>.txt`` and ``<name>.html`` (which extends ``base.html``). HTML is autoescaped;
every context variable a template uses must be given (``StrictUndefined``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

TEMPLATES: dict[str, frozenset[str]] = {
    "invitation": frozenset({"name", "link", "expires_at", "invited_by"}),
    "password_reset": frozenset({"name", "link", "expires_minutes"}),
    "totp_reset": frozenset({"name", "reason"}),
}


class UnknownTemplate(ValueError):
    """A programming error: the template does not exist or its context is incomplete."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _utc(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("niha.notifications", "templates"),
        # HTML templates are escaped; subjects and text parts are plain text.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["utc"] = _utc
    return env


def _one_line(value: str) -> str:
    return " ".join(value.split())[:300]


def render(template: str, context: dict[str, Any]) -> RenderedEmail:
    expected = TEMPLATES.get(template)
    if expected is None:
        raise UnknownTemplate(f"unknown email template {template!r}")
    missing = expected - context.keys()
    if missing:
        raise UnknownTemplate(f"email template {template!r} needs {sorted(missing)}")
    env = _environment()
    try:
        subject = env.get_template(f"{template}.subject.txt").render(context)
        text = env.get_template(f"{template}.txt").render(context)
        html = env.get_template(f"{template}.html").render({**context, "subject": subject})
    except TemplateNotFound as exc:  # pragma: no cover - TEMPLATES and files agree (tested)
        raise UnknownTemplate(str(exc)) from exc
    return RenderedEmail(subject=_one_line(subject), text=text, html=html)
