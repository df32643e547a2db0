"""Email templates: both parts, branding, escaping, strict contexts."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import pytest

from niha.notifications.rendering import TEMPLATES, UnknownTemplate, render

WHEN = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def invitation_context(**overrides: object) -> dict[str, object]:
    context: dict[str, object] = {
        "name": "Ann Example",
        "link": "https://niha.example/invite/abc?x=1&y=2",
        "expires_at": WHEN,
        "invited_by": "Bob Admin",
    }
    context.update(overrides)
    return context


def test_every_template_has_subject_text_and_html() -> None:
    folder = resources.files("niha.notifications") / "templates"
    for name in TEMPLATES:
        for suffix in (".subject.txt", ".txt", ".html"):
            assert (folder / f"{name}{suffix}").is_file(), f"{name}{suffix} missing"


def test_invitation_renders_both_parts_with_the_link() -> None:
    email = render("invitation", invitation_context())
    assert email.subject == "You are invited to Niha"
    assert "https://niha.example/invite/abc?x=1&y=2" in email.text
    assert "Bob Admin" in email.text and "Ann Example" in email.text
    assert "2026-12-02 09:30 UTC" in email.text and "2026-12-02 09:30 UTC" in email.html
    # In HTML the link is attribute-escaped, and the brand colours are there.
    assert 'href="https://niha.example/invite/abc?x=1&amp;y=2"' in email.html
    assert "#0b1f3a" in email.html and "#10b981" in email.html
    assert "<table" in email.html


def test_password_reset_renders() -> None:
    email = render(
        "password_reset",
        {"name": "Ann", "link": "https://niha.example/reset/t0k", "expires_minutes": 60},
    )
    assert email.subject == "Reset your Niha password"
    assert "https://niha.example/reset/t0k" in email.text
    assert "60 minutes" in email.text and "60 minutes" in email.html
    assert 'href="https://niha.example/reset/t0k"' in email.html


def test_html_part_escapes_user_content_text_part_keeps_it() -> None:
    email = render("invitation", invitation_context(name='<script>alert("x")</script>'))
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert '<script>alert("x")</script>' in email.text


def test_subject_is_one_line() -> None:
    email = render("invitation", invitation_context())
    assert "\n" not in email.subject and "\r" not in email.subject


def test_unknown_template_and_missing_context_are_refused() -> None:
    with pytest.raises(UnknownTemplate):
        render("nope", {})
    with pytest.raises(UnknownTemplate, match="link"):
        render("password_reset", {"name": "Ann", "expires_minutes": 5})
