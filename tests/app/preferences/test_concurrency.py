"""Two writers with the same If-Match, at the same time, on real separate connections:
one wins, the other gets 412, and nothing is lost (every accepted write is a version)."""

import threading
from collections.abc import Callable
from functools import partial

import httpx
from sqlalchemy import select

from app.preferences.models import PreferenceVersion
from tests.conftest import FreshDatabase
from tests.domain_factories import make_benefit, make_employee, make_peer_group, period_body


def open_period(db: FreshDatabase) -> str:
    with db.session() as session:
        group = make_peer_group(session)
        make_employee(session, external_id="E1", peer_group=group)
        make_benefit(session, code="GYM")
        make_benefit(session, code="BIKE")
    admin = db.auth("hr_admin")
    with db.client() as client:
        period_id: str = client.post("/api/v1/periods", json=period_body(), headers=admin).json()[
            "id"
        ]
        assert client.post(f"/api/v1/periods/{period_id}/open", headers=admin).status_code == 200
    return period_id


def race(calls: list[Callable[[], httpx.Response]]) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        statuses[index] = calls[index]().status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_two_concurrent_writers_one_wins_the_other_gets_412(fresh_db: FreshDatabase) -> None:
    period_id = open_period(fresh_db)
    url = f"/api/v1/me/periods/{period_id}/preferences"
    headers = fresh_db.auth("employee", employee="E1")
    with fresh_db.client() as first, fresh_db.client() as second:
        for expected_version, etag in ((1, '"v0"'), (2, '"v1"')):  # first insert, then update
            conditional = {**headers, "If-Match": etag}
            statuses = race(
                [
                    partial(first.put, url, json={"points": {"GYM": 10}}, headers=conditional),
                    partial(second.put, url, json={"points": {"BIKE": 20}}, headers=conditional),
                ]
            )
            assert statuses == [200, 412]
            current = first.get(url, headers=headers).json()
            assert current["version"] == expected_version
    with fresh_db.session() as session:
        versions = session.scalars(select(PreferenceVersion.version)).all()
    assert sorted(versions) == [1, 2]


def test_a_submission_racing_the_close_waits_for_it_and_is_refused(
    fresh_db: FreshDatabase,
) -> None:
    """The period is being closed (row locked, not yet committed) when a submission
    arrives: the submission waits and then gets 409, it is never stored after the close."""
    import time

    from sqlalchemy import update

    from app.periods.models import Period

    period_id = open_period(fresh_db)
    headers = fresh_db.auth("employee", employee="E1")
    url = f"/api/v1/me/periods/{period_id}/preferences"
    statuses: list[int] = []
    closer = fresh_db.session()
    closer.execute(select(Period).where(Period.id == period_id).with_for_update())
    closer.execute(update(Period).where(Period.id == period_id).values(status="closed"))
    with fresh_db.client() as client:
        thread = threading.Thread(
            target=lambda: statuses.append(
                client.put(url, json={"points": {"GYM": 5}}, headers=headers).status_code
            )
        )
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waits for the close to commit
        closer.commit()
        closer.close()
        thread.join(timeout=30)
    assert statuses == [409]
    with fresh_db.session() as session:
        assert session.scalars(select(PreferenceVersion)).all() == []
