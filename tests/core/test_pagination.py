from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from niha.core.pagination import InvalidCursor, decode_cursor, encode_cursor


@given(st.lists(st.one_of(st.integers(), st.text(max_size=20)), min_size=1, max_size=3))
def test_cursor_roundtrip(values: list[object]) -> None:
    assert decode_cursor(encode_cursor(values), len(values)) == values


@pytest.mark.parametrize("bad", ["", "!!!", "bm90IGpzb24", encode_cursor([1, 2])])
def test_bad_cursor_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(bad, 1)
