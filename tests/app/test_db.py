from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.db import loads_json, make_engine


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_memory_sqlite_engine_works() -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_datetimes_come_back_aware_in_utc(session: Session) -> None:
    paris = timezone(timedelta(hours=1))
    moment = datetime(2027, 1, 1, 12, 30, tzinfo=paris)
    key = ApiKey(prefix="tz-test", secret_hash="0" * 64, name="tz", roles=["auditor"])
    key.expires_at = moment
    session.add(key)
    session.commit()
    session.expire_all()
    stored = session.scalar(select(ApiKey).where(ApiKey.prefix == "tz-test"))
    assert stored is not None and stored.expires_at is not None
    assert stored.expires_at == moment
    assert stored.expires_at.tzinfo is not None
    assert stored.expires_at.utcoffset() == timedelta(0)
    assert stored.expires_at.astimezone(UTC).hour == 11


def test_naive_datetimes_are_refused(session: Session) -> None:
    key = ApiKey(prefix="naive", secret_hash="0" * 64, name="n", roles=["auditor"])
    key.expires_at = datetime(2027, 1, 1)
    session.add(key)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2.5, "\\u00e9", null, true], "b": {"c": -0.0}}',
        "[123456789012345678901234567890, 18446744073709551615, -9223372036854775809]",
        '{"nan": NaN, "inf": Infinity}',
        "[1e400, 0.1, 1e-05]",
    ],
)
def test_json_columns_read_the_values_the_standard_library_reads(text: str) -> None:
    read = loads_json(text)
    assert repr(read) == repr(json.loads(text))
    assert repr(loads_json(text.encode())) == repr(read)
