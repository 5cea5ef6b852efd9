from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.errors import Unprocessable
from app.idempotency.service import Idempotency, _validated_key, request_fingerprint

ALICE = Principal(id="key-alice", name="alice", roles=frozenset({"hr_admin"}))
BOB = Principal(id="key-bob", name="bob", roles=frozenset({"hr_admin"}))


def context(session: Session, principal: Principal, key: str | None, body: bytes) -> Idempotency:
    fingerprint = request_fingerprint("POST", "/api/v1/employees/import", "", body)
    return Idempotency(session=session, principal=principal, key=key, fingerprint=fingerprint)


def test_same_key_and_body_replays_the_first_response(session: Session) -> None:
    first = context(session, ALICE, "k1", b'[{"a":1}]')
    assert first.replay() is None
    first.record(status_code=201, body={"created": 3}, headers={"Location": "/x"})
    session.commit()
    replay = context(session, ALICE, "k1", b'[{"a":1}]').replay()
    assert replay is not None
    assert replay.status_code == 201
    assert json.loads(bytes(replay.body)) == {"created": 3}
    assert replay.headers["Location"] == "/x"
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_same_key_other_body_is_422(session: Session) -> None:
    context(session, ALICE, "k1", b"one").record(status_code=200, body={})
    session.commit()
    with pytest.raises(Unprocessable) as raised:
        context(session, ALICE, "k1", b"two").replay()
    assert raised.value.errors == [
        {"loc": ["header", "Idempotency-Key"], "msg": "reused with another body; use a new key"}
    ]


def test_keys_are_per_principal(session: Session) -> None:
    context(session, ALICE, "k1", b"one").record(status_code=200, body={"who": "alice"})
    session.commit()
    assert context(session, BOB, "k1", b"two").replay() is None


def test_without_a_key_nothing_is_stored_or_replayed(session: Session) -> None:
    inert = context(session, ALICE, None, b"")
    inert.record(status_code=200, body={})
    assert inert.replay() is None


def test_fingerprint_separates_path_query_and_body() -> None:
    base = request_fingerprint("POST", "/a", "x=1", b"b")
    assert base == request_fingerprint("POST", "/a", "x=1", b"b")
    assert base != request_fingerprint("POST", "/a", "x=1b", b"")
    assert base != request_fingerprint("POST", "/a", "", b"x=1b")


@pytest.mark.parametrize("raw", ["", "x" * 256, "tab\there"])
def test_invalid_keys_are_refused(raw: str) -> None:
    with pytest.raises(Unprocessable):
        _validated_key(raw)


def test_records_expire_after_the_retention(session: Session) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from app.db import utcnow
    from app.idempotency.models import IdempotencyRecord
    from app.idempotency.service import RETENTION

    context(session, ALICE, "old", b"one").record(status_code=200, body={})
    session.commit()
    stale = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "old"))
    assert stale is not None
    stale.created_at = utcnow() - RETENTION - timedelta(minutes=1)
    session.commit()
    assert context(session, ALICE, "old", b"another body").replay() is None  # key reusable
    context(session, BOB, "other", b"x").record(status_code=200, body={})
    session.commit()
    keys = session.scalars(select(IdempotencyRecord.key)).all()
    assert "old" not in keys and "other" in keys
