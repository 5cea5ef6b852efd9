"""Structured JSON logs with the request id and ids only (no names, emails or bodies)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from app.security.logs import ACCESS_LOGGER, JsonFormatter
from tests.conftest import ApiClient
from tests.security_factories import key_id_of, make_people


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def access_log() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def test_access_log_is_json_with_request_id_route_template_and_actor_id(
    api: ApiClient, access_log: Lines
) -> None:
    make_people(api, external_ids=("E1",))
    admin = api.auth("hr_admin")
    response = api.get("/api/v1/employees/E1", headers={**admin, "X-Request-ID": "trace-42"})
    assert response.status_code == 200
    (line,) = access_log.lines
    entry = json.loads(line)
    assert entry["request_id"] == "trace-42"
    assert entry["route"] == "/api/v1/employees/{external_id}"
    assert entry["status"] == 200 and entry["method"] == "GET"
    assert entry["actor"] == key_id_of(api.session, admin)
    assert "e1@example.com" not in line and "Employee E1" not in line
    assert "test key" not in line  # the key's name is not logged, only its id


def test_module_loggers_write_json_with_the_exception() -> None:
    handler = Lines()
    record = logging.LogRecord("app.x", logging.ERROR, __file__, 1, "run %s failed", ("r1",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    handler.emit(record)
    entry = json.loads(handler.lines[0])
    assert entry["msg"] == "run r1 failed" and entry["level"] == "error"
    assert entry["exc_type"] == "ValueError" and "boom" in entry["traceback"]
    assert entry["request_id"] is None  # outside a request
