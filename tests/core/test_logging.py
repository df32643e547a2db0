"""JSON logs: one object per line, with ids, times and odd values written safely."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
import structlog

from niha.core.logging import configure_logging


def test_json_lines_carry_ids_times_and_a_repr_for_anything_else(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(True)
    try:
        an_id, when = uuid.uuid4(), datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
        structlog.get_logger(f"test-{an_id}").info(
            "request", id=an_id, when=when, odd=object(), by_number={1: "a"}, ms=1.5
        )
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        configure_logging(False)
    assert line["event"] == "request" and line["level"] == "info"
    assert line["id"] == str(an_id) and line["when"] == "2026-12-05T12:00:00+00:00"
    assert line["odd"].startswith("<object object") and line["by_number"] == {"1": "a"}
    assert line["ms"] == 1.5 and line["timestamp"].endswith("Z")
