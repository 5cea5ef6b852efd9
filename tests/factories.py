"""Small keyword-only factories. Each returns what a test needs and commits its rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.service import create_api_key

TEST_SECRET_KEY = "flexben-test-secret-key-0123456789abcdef"


def make_api_key(
    session: Session,
    *,
    roles: list[str],
    employee: str | None = None,
    name: str = "test key",
) -> str:
    """A committed API key; returns the bearer token."""
    issued = create_api_key(
        session,
        name=name,
        roles=roles,
        pepper=TEST_SECRET_KEY,
        employee_external_id=employee,
    )
    session.commit()
    return issued.key


def benefit_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /api/v1/benefits body; override any field."""
    body: dict[str, Any] = {
        "code": "GYM",
        "name": "Gym membership",
        "description": "Monthly gym membership",
        "category": "wellbeing",
        "cost": 36000,
        "max_units": 1,
        "capacity": None,
        "core": False,
        "exclusive_group": None,
        "requires": [],
        "eligibility": None,
        "payroll_code": "BIK-GYM",
        "taxable": True,
        "sensitive": False,
    }
    body.update(overrides)
    return body
