"""Retention: preferences of periods published longer ago than N days are purged
(`flexben purge-preferences`); payroll lines stay."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.allocations.models import Run, RunEmployee
from app.cli import cli
from app.config import get_settings
from app.db import utcnow
from app.payroll.models import PayrollLine
from app.preferences.models import Preference, PreferenceVersion
from app.privacy.retention import periods_due, purge_preferences
from tests.conftest import ApiClient
from tests.run_world import approve, build_world, close, run
from tests.security_factories import audit_events


def _count(api: ApiClient, model: type) -> int:
    return api.session.scalar(select(func.count()).select_from(model)) or 0


def _published_world(api: ApiClient) -> str:
    world = build_world(api)
    close(world)
    approve(world, run(world)["id"])
    return world.period_id


def test_only_periods_published_longer_ago_are_due(api: ApiClient) -> None:
    period_id = _published_world(api)
    now = utcnow()
    assert periods_due(api.session, older_than_days=30, now=now) == []
    later = now + timedelta(days=31)
    assert [p.id for p in periods_due(api.session, older_than_days=30, now=later)] == [period_id]


def test_a_period_closed_and_never_published_is_purged_after_the_retention(
    api: ApiClient,
) -> None:
    world = build_world(api)
    close(world)
    run(world)  # runs, but nobody approves one
    now = utcnow()
    assert periods_due(api.session, older_than_days=30, now=now) == []
    purged = purge_preferences(api.session, older_than_days=30, now=now + timedelta(days=31))
    assert [(p.period_id, p.preferences, p.runs, p.published_at) for p in purged] == [
        (world.period_id, 5, 1, None)
    ]
    assert _count(api, Preference) == 0
    (stored,) = api.session.scalars(select(Run))
    assert all("preferences" not in e for e in json.loads(stored.problem)["employees"])
    from tests.domain_factories import period_body

    created = api.post("/api/v1/periods", json=period_body(name="in use"), headers=world.admin)
    opened = api.post(f"/api/v1/periods/{created.json()['id']}/open", headers=world.admin)
    assert opened.status_code == 200, opened.text
    later = now + timedelta(days=4000)  # open periods are in use, however old
    assert created.json()["id"] not in [
        p.id for p in periods_due(api.session, older_than_days=30, now=later)
    ]


def test_purge_removes_preferences_everywhere_and_keeps_payroll_lines(api: ApiClient) -> None:
    period_id = _published_world(api)
    lines = _count(api, PayrollLine)
    assert lines > 0 and _count(api, Preference) == 5
    purged = purge_preferences(api.session, older_than_days=30, now=utcnow() + timedelta(days=31))
    assert [(p.period_id, p.preferences, p.runs) for p in purged] == [(period_id, 5, 1)]
    assert (_count(api, Preference), _count(api, PreferenceVersion)) == (0, 0)
    assert _count(api, PayrollLine) == lines
    api.session.expire_all()
    assert all(row.preferences == {} for row in api.session.scalars(select(RunEmployee)))
    (stored,) = api.session.scalars(select(Run))
    problem = json.loads(stored.problem)
    assert all("preferences" not in entry for entry in problem["employees"])
    (event,) = audit_events(api.session, action="period.purge_preferences")
    assert event.entity_key == period_id and event.actor == "system"
    payroll = api.get(f"/api/v1/periods/{period_id}/payroll/lines", headers=api.auth("payroll"))
    assert len(payroll.json()["items"]) == lines


def test_dry_run_purges_nothing(api: ApiClient) -> None:
    _published_world(api)
    purged = purge_preferences(
        api.session, older_than_days=30, now=utcnow() + timedelta(days=31), dry_run=True
    )
    assert len(purged) == 1 and _count(api, Preference) == 5


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FLEXBEN_DATABASE_URL", url)
    monkeypatch.setenv("FLEXBEN_ENVIRONMENT", "development")
    get_settings.cache_clear()
    return url


def test_cli_purge_preferences_reports_what_it_did(sqlite_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    result = runner.invoke(cli, ["purge-preferences", "--days", "30"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "0 period(s) purged; retention 30 days" in result.output
    refused = runner.invoke(cli, ["purge-preferences", "--days", "0"])
    assert refused.exit_code == 2
