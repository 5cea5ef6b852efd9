"""Portal test helpers: sign-in links issued by the real service, signing a client in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.portal.service import SIGN_IN_PATH, issue_link

# A family reason that may change time off only (the world's LEAVE), for 60 days.
BIRTH_REASON = {"reasons": [{"code": "birth", "window_days": 60, "categories": ["time"]}]}


def sign_in_token(
    session: Session,
    *,
    employee: str | None = None,
    roles: tuple[str, ...] = (),
    name: str | None = None,
    minutes: int = 15,
) -> str:
    token = issue_link(session, roles=list(roles), minutes=minutes, employee=employee, name=name)
    session.commit()
    return token


def sign_in(client: TestClient, token: str) -> None:
    response = client.get(f"{SIGN_IN_PATH}{token}", follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/portal"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)
