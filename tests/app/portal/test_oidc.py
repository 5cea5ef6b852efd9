"""Portal sign-in with a real OpenID Connect provider (npm oidc-provider on Node, loopback):
authorization code + PKCE in Chromium; a forged or replayed answer signs nobody in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.app.portal.browser import CHROMIUM, CHROMIUM_ARGS, free_port, oidc_provider, served
from tests.conftest import FreshDatabase
from tests.factories import TEST_SECRET_KEY
from tests.run_world import FreshClient, build_world

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is missing"),
    pytest.mark.skipif(shutil.which("node") is None, reason="Node is missing"),
]


@pytest.fixture
def portal(fresh_db: FreshDatabase) -> Iterator[str]:
    build_world(FreshClient(fresh_db))  # type: ignore[arg-type]
    port = free_port()
    callback = f"http://127.0.0.1:{port}/portal/oidc/callback"
    with oidc_provider(callback) as issuer:
        env = {
            "FLEXBEN_OIDC_ISSUER": issuer,
            "FLEXBEN_OIDC_AUDIENCE": "flexben",
            "FLEXBEN_OIDC_JWKS_URL": f"{issuer}/jwks",
            "FLEXBEN_OIDC_CLIENT_ID": "flexben",
            "FLEXBEN_OIDC_CLIENT_SECRET": "flexben-test-client-secret",
        }
        with served(fresh_db.url, TEST_SECRET_KEY, port=port, extra_env=env) as base:
            yield base


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_employee_signs_in_with_the_organisation(portal: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page: Any = browser.new_page()
            page.set_default_timeout(45_000)
            page.goto(f"{portal}/portal/sign-in")
            page.get_by_role("link", name="Sign in with your organisation").click()
            assert "code_challenge_method" not in page.url  # the provider took over
            page.locator("input[name=login]").fill("e1@example.com")
            page.locator("input[name=password]").fill("any")
            page.locator("button[type=submit]").click()
            page.locator("button[type=submit]", has_text="Continue").click()  # consent
            page.get_by_role("heading", name="Hello, E1").wait_for()
            assert page.url == f"{portal}/portal"
            page.goto(f"{portal}/portal/periods")
            assert page.get_by_role("link", name="Choose benefits").count() == 1  # E1's
        finally:
            browser.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_forged_answer_signs_nobody_in(portal: str) -> None:
    client = httpx.Client(base_url=portal)
    start = client.get("/portal/oidc/start")
    assert start.status_code == 303 and "code_challenge=" in start.headers["location"]
    assert "code_challenge_method=S256" in start.headers["location"]
    forged = client.get("/portal/oidc/callback", params={"code": "x", "state": "wrong"})
    assert forged.status_code == 401 and "state" in forged.text
    no_flow = httpx.get(f"{portal}/portal/oidc/callback", params={"code": "x", "state": "s"})
    assert no_flow.status_code == 401
    assert client.get("/portal", follow_redirects=False).headers["location"] == "/portal/sign-in"
