from __future__ import annotations

import pytest
from starlette.requests import Request

from app.errors import PreconditionFailed
from app.http import check_if_match, etag_of_json, etag_of_version


def request_with(if_match: str | None) -> Request:
    headers = [] if if_match is None else [(b"if-match", if_match.encode())]
    return Request({"type": "http", "method": "PATCH", "path": "/", "headers": headers})


def test_etags() -> None:
    assert etag_of_version(3) == '"v3"'
    assert etag_of_json({"a": 1, "b": 2}) == etag_of_json({"b": 2, "a": 1})
    assert etag_of_json({"a": 1}) != etag_of_json({"a": 2})


@pytest.mark.parametrize("header", [None, '"v3"', "*", '"v1", "v3"'])
def test_if_match_accepts_current_or_absent(header: str | None) -> None:
    check_if_match(request_with(header), '"v3"')


@pytest.mark.parametrize("header", ['"v2"', 'W/"v3"', "v3"])
def test_if_match_stale_or_weak_is_412(header: str) -> None:
    with pytest.raises(PreconditionFailed) as raised:
        check_if_match(request_with(header), '"v3"')
    assert raised.value.headers["ETag"] == '"v3"'
