"""Bulk inserts: COPY on PostgreSQL and batched INSERTs elsewhere store the same values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.bulk import insert_rows
from app.employees.models import Employee
from tests.domain_factories import make_peer_group


def test_rows_take_their_values_and_the_models_defaults(session: Session) -> None:
    group = make_peer_group(session, code="OPS")
    insert_rows(
        session,
        Employee,
        [
            {"external_id": "B1", "peer_group_id": group.id, "attributes": {"site": "n", "k": [1]}},
            {
                "external_id": "B2",
                "peer_group_id": group.id,
                "fte": Decimal("0.5"),
                "need_reason": "tab\there, new\nline \\ back",
                "attributes": {},
            },
        ],
    )
    session.commit()
    first, second = session.scalars(select(Employee).order_by(Employee.external_id))
    assert first.attributes == {"site": "n", "k": [1]}
    assert (first.fte, first.need, first.top_up_limit, first.active) == (1, 1, 0, True)
    assert first.employment_type == "full_time" and first.version == 1
    assert first.created_at.tzinfo is not None
    assert abs(first.created_at - datetime.now(UTC)).total_seconds() < 60
    assert second.fte == Decimal("0.5") and second.need_reason == "tab\there, new\nline \\ back"


def test_nothing_to_insert_is_no_statement(session: Session) -> None:
    statements: list[str] = []
    connection = session.connection()
    event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
    insert_rows(session, Employee, [])
    insert_rows(session, Employee, [], constants={"grade": "L3"})
    assert statements == []


def test_an_unknown_column_is_refused_before_anything_is_written(session: Session) -> None:
    group = make_peer_group(session, code="OPS")
    rows = [{"external_id": "B1", "peer_group_id": group.id, "shoe_size": 44}]
    with pytest.raises(ValueError, match="shoe_size"):
        insert_rows(session, Employee, rows)
    assert session.scalars(select(Employee)).first() is None


def test_constants_go_into_every_row_and_a_row_may_not_name_them(session: Session) -> None:
    group = make_peer_group(session, code="OPS")
    rows = [{"external_id": f"C{i}", "need_reason": None} for i in range(3)]
    insert_rows(session, Employee, rows, constants={"peer_group_id": group.id, "grade": "L3"})
    session.commit()
    stored = session.scalars(select(Employee).order_by(Employee.external_id)).all()
    assert [(e.external_id, e.peer_group_id, e.grade) for e in stored] == [
        (f"C{i}", group.id, "L3") for i in range(3)
    ]
    clash = [{"external_id": "C9", "grade": "L1"}]
    with pytest.raises(ValueError, match="constant column"):
        insert_rows(session, Employee, clash, constants={"peer_group_id": group.id, "grade": "L3"})
    with pytest.raises(ValueError, match="shoe_size"):
        insert_rows(session, Employee, clash, constants={"shoe_size": 44})
