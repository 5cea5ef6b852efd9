"""POST /api/v1/employees/{external_id}/erase: pseudonymise, delete preferences, audit."""

from __future__ import annotations

from sqlalchemy import func, select

from app.preferences.models import Preference, PreferenceVersion
from app.privacy.service import pseudonym_of
from tests.conftest import ApiClient
from tests.factories import TEST_SECRET_KEY
from tests.security_factories import audit_events, make_open_period, make_people


def _count(api: ApiClient, model: type) -> int:
    return api.session.scalar(select(func.count()).select_from(model)) or 0


def test_erase_pseudonymises_identity_and_removes_preferences(api: ApiClient) -> None:
    make_people(api)
    period_id = make_open_period(api)
    ana = api.auth("employee", employee="E1")
    url = f"/api/v1/me/periods/{period_id}/preferences"
    assert api.put(url, json={"points": {"GYM": 60}}, headers=ana).status_code == 200
    assert api.put(url, json={"points": {"GYM": 70}}, headers=ana).status_code == 200
    bob = api.auth("employee", employee="E2")
    assert api.put(url, json={"points": {"GYM": 10}}, headers=bob).status_code == 200
    admin = api.auth("hr_admin")

    erased = api.post("/api/v1/employees/E1/erase", headers=admin)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    pseudonym = pseudonym_of("E1", pepper=TEST_SECRET_KEY)
    assert body["external_id"] == pseudonym and pseudonym.startswith("ERASED-")
    assert (body["preferences_removed"], body["preference_versions_removed"]) == (1, 2)
    assert body["api_keys_revoked"] == 1

    assert api.get("/api/v1/employees/E1", headers=admin).status_code == 404
    record = api.get(f"/api/v1/employees/{pseudonym}", headers=admin).json()
    assert record["email"] is None and record["display_name"] is None
    assert record["attributes"] == {} and record["active"] is False
    assert record["peer_group"] == "HQ-L2"  # aggregates by group stay right
    assert api.get("/api/v1/me", headers=ana).status_code == 401  # the key is revoked
    # Only E2's preferences remain.
    assert (_count(api, Preference), _count(api, PreferenceVersion)) == (1, 1)
    (event,) = audit_events(api.session, action="employee.erase")
    assert event.entity_key == pseudonym
    assert "email" in event.changed and event.before_digest != event.after_digest


def test_erasing_twice_or_an_unknown_person_is_404_and_changes_nothing(api: ApiClient) -> None:
    make_people(api)
    admin = api.auth("hr_admin")
    assert api.post("/api/v1/employees/E1/erase", headers=admin).status_code == 200
    assert api.post("/api/v1/employees/E1/erase", headers=admin).status_code == 404
    assert api.post("/api/v1/employees/NOBODY/erase", headers=admin).status_code == 404
    assert len(audit_events(api.session, action="employee.erase")) == 1


def test_the_email_of_an_erased_person_can_be_reused(api: ApiClient) -> None:
    make_people(api)
    admin = api.auth("hr_admin")
    assert api.post("/api/v1/employees/E1/erase", headers=admin).status_code == 200
    again = api.post(
        "/api/v1/employees",
        json={"external_id": "E9", "peer_group": "HQ-L2", "email": "e1@example.com"},
        headers=admin,
    )
    assert again.status_code == 201, again.text
