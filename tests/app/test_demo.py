from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.benefits.eligibility import validate_rule
from app.benefits.models import Benefit
from app.cli import cli
from app.config import get_settings
from app.demo import load_demo
from app.employees.models import Employee, PeerGroup
from app.periods.models import Period
from app.preferences.models import Preference
from app.preferences.rules import check_submission
from app.preferences.service import load_context


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_demo_covers_every_feature_and_is_idempotent(session: Session) -> None:
    summary = load_demo(session)
    assert count(session, PeerGroup) == 10
    assert count(session, Employee) == 300
    benefits = session.scalars(select(Benefit)).all()
    assert len(benefits) == 25
    assert any(b.core for b in benefits)
    assert any(b.capacity for b in benefits)
    assert any(b.max_units > 1 for b in benefits)
    assert any(b.requires for b in benefits)
    assert any(b.sensitive for b in benefits) and any(b.taxable for b in benefits)
    groups = [b.exclusive_group for b in benefits if b.exclusive_group]
    assert len(groups) > len(set(groups))  # tiers: several benefits share a group
    rules = [b.eligibility for b in benefits if b.eligibility]
    assert len(rules) >= 5 and all(validate_rule(rule) == [] for rule in rules)

    period = session.get(Period, summary.period_id)
    assert period is not None and period.status == "open"
    submitted = session.scalars(select(Preference).where(Preference.period_id == period.id)).all()
    assert 200 <= len(submitted) <= 300
    for preference in submitted[:60]:  # they obey the very rules of the API
        employee = session.get(Employee, preference.employee_id)
        assert employee is not None
        context = load_context(session, period, employee)
        checked = check_submission(
            preference.points,
            offered=context.offered,
            ineligible=context.ineligible,
            points_per_employee=period.points_per_employee,
        )
        assert checked.errors == []

    again = load_demo(session)
    assert again.period_id == summary.period_id
    assert (again.employees_created, again.benefits_created, again.preferences_created) == (0, 0, 0)
    assert count(session, Employee) == 300


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FLEXBEN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FLEXBEN_ENVIRONMENT", "development")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_demo_and_import_employees(sqlite_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    demo = runner.invoke(cli, ["demo"])
    assert demo.exit_code == 0, demo.output
    assert "+300 employees" in demo.output
    good = sqlite_env / "people.csv"
    good.write_text("external_id,peer_group,fte\nE00001,HQ-L1,0.5\nNEW1,HQ-L2,1\n")
    dry = runner.invoke(cli, ["import", "employees", str(good), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert '"created": 1' in dry.output and '"updated": 1' in dry.output
    done = runner.invoke(cli, ["import", "employees", str(good)])
    assert '"dry_run": false' in done.output
    bad = sqlite_env / "bad.csv"
    bad.write_text("external_id,peer_group,fte\nX1,NOPE,2\n")
    failed = runner.invoke(cli, ["import", "employees", str(bad)])
    assert failed.exit_code == 1
    assert "row 2, peer_group: peer group 'NOPE' does not exist" in failed.output
    assert "row 2, fte:" in failed.output
    as_json = sqlite_env / "people.json"
    as_json.write_text('[{"external_id": "NEW2", "peer_group": "HQ-L2", "fte": 0.6}]')
    from_json = runner.invoke(cli, ["import", "employees", str(as_json)])
    assert from_json.exit_code == 0, from_json.output
    assert '"created": 1' in from_json.output
