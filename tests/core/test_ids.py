"""``core.ids.new_id``: standard-library UUIDs, version 7, in time order."""

from __future__ import annotations

import pickle
import uuid

from niha.core.ids import new_id


def test_new_ids_are_ordinary_uuid7_values() -> None:
    value = new_id()
    assert type(value) is uuid.UUID
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    parsed = uuid.UUID(str(value))
    assert parsed == value and hash(parsed) == hash(value)
    assert pickle.loads(pickle.dumps(value)) == value
    assert value.bytes == parsed.bytes and value.hex == parsed.hex


def test_new_ids_are_unique_and_time_ordered() -> None:
    values = [new_id() for _ in range(1000)]
    assert len(set(values)) == len(values)
    assert values == sorted(values)
