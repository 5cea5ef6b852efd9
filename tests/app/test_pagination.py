from __future__ import annotations

import pytest

from app.errors import Unprocessable
from app.pagination import decode_cursor, encode_cursor


def test_cursor_round_trip_is_url_safe() -> None:
    cursor = encode_cursor(["GYM/é", 42])
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor, size=2) == ["GYM/é", 42]


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor(["a"]), encode_cursor([])])
def test_foreign_cursors_are_422(cursor: str) -> None:
    with pytest.raises(Unprocessable) as raised:
        decode_cursor(cursor, size=2)
    assert raised.value.errors == [
        {"loc": ["query", "cursor"], "msg": "not a cursor returned by this list"}
    ]
