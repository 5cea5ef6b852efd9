"""The portal in a real Chromium against a real uvicorn, on SQLite and PostgreSQL: an
employee chooses (meter, warning, save, kind conflict); HR closes and runs; a second
person approves; the employee sees the result with its reasons and receipt; after
publication the employee reports a life event, HR confirms it, the employee chooses
within its categories, HR runs it, the second person approves and the employee sees the
dated lines; finance draws a budget curve. Every page is screenshotted and checked with
axe-core (0 serious or critical violations)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from app.portal.service import SIGN_IN_PATH, issue_link
from tests.app.portal.browser import CHROMIUM, CHROMIUM_ARGS, served, snap
from tests.app.portal.factories import BIRTH_REASON
from tests.conftest import FreshDatabase
from tests.factories import TEST_SECRET_KEY
from tests.run_world import FreshClient, World, build_world

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is missing"),
]
TIMEOUT_MS = 45_000  # generous: the shared CI machine may be very busy


def _link(db: FreshDatabase, base: str, **who: Any) -> str:
    with db.session() as session:
        token = issue_link(session, minutes=15, **who)
        session.commit()
    return f"{base}{SIGN_IN_PATH}{token}"


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _person(browser: Any, link: str) -> Any:
    # bypass_csp lets the test inject axe-core; the pages themselves run under the CSP.
    context = browser.new_context(bypass_csp=True, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(link)
    return page


def _a_life_event(world: World, base: str, tag: str, *, eric: Any, hana: Any, alex: Any) -> None:
    """eric reports a birth, hana (HR) confirms it, eric changes time off only, hana runs
    it and follows its progress, alex approves, eric sees the lines it ended and started."""
    period = world.period_id
    url = world.url(f"/periods/{period}/life-event-reasons")
    assert world.api.put(url, json=BIRTH_REASON, headers=world.admin).status_code == 200
    eric.goto(f"{base}/portal/me/periods/{period}/events")
    eric.get_by_label("Reason").select_option("birth")
    eric.get_by_label("Effective date").fill("2027-05-10")
    eric.get_by_role("button", name="Report the event").click()
    eric.locator("#reported").wait_for()
    snap(eric, "my-events", tag)
    hana.goto(f"{base}/portal/hr/periods/{period}/events")
    hana.get_by_label("Status").select_option("reported")
    hana.get_by_role("button", name="Filter").click()
    hana.get_by_role("button", name=re.compile("^Confirm — E1")).click()
    hana.locator("#confirmed").wait_for()
    snap(hana, "hr-events", tag)
    eric.get_by_role("link", name=re.compile("Choose for this event")).click()
    eric.wait_for_load_state("load")  # the meter listens from DOMContentLoaded on
    assert "cannot change the category" in eric.locator("#option-GYM").inner_text()
    eric.get_by_label("Points for Extra leave").fill("100")
    eric.get_by_label("Units of Extra leave").fill("4")
    expect(eric.locator("#points-left")).to_have_text("0")  # the period's meter
    eric.get_by_role("button", name="Save my event choices").click()
    eric.locator("#saved").wait_for()
    snap(eric, "event-choose", tag)
    hana.get_by_role("button", name=re.compile("^Start the event run — E1")).click()
    hana.get_by_text("Status: succeeded").wait_for()  # htmx follows the progress
    snap(hana, "hr-event-run", tag)
    alex.goto(hana.url)
    alex.get_by_role("button", name="Approve for payroll").click()
    alex.locator("#approved").wait_for()
    eric.goto(f"{base}/portal/me/periods/{period}/result")
    lines = eric.locator("#lines").inner_text()
    assert "2027-05-09" in lines and "2027-05-10" in lines  # ended, and its replacement
    snap(eric, "result-timeline", tag)


def test_a_period_from_choice_to_explained_result(fresh_db: FreshDatabase, browser: Any) -> None:
    world = build_world(FreshClient(fresh_db))  # type: ignore[arg-type]
    period = world.period_id
    tag = fresh_db.backend
    with served(fresh_db.url, TEST_SECRET_KEY) as base:
        ana = _person(browser, _link(fresh_db, base, employee="E6", roles=[]))
        assert ana.url == f"{base}/portal"
        snap(ana, "home", tag)
        ana.goto(f"{base}/portal/periods")
        snap(ana, "periods", tag)
        ana.get_by_role("link", name=re.compile("Choose benefits")).first.click()
        ana.wait_for_load_state("load")  # the meter listens from DOMContentLoaded on
        ana.get_by_label("Points for Gym").fill("40")
        ana.get_by_label("Points for Parking").fill("30")
        ana.get_by_label("Points for Bike").fill("30")
        expect(ana.locator("#points-left")).to_have_text("0")
        assert "1,760.00" in ana.locator("#choice-cost").inner_text()
        assert ana.locator("#over-allowance").is_visible()  # the meter's warning
        ana.get_by_label("Points for Bike").fill("50")  # 120 points: the rules say no
        ana.locator("#warnings .error").wait_for()
        assert "100" in ana.locator("#warnings").inner_text()
        snap(ana, "choose-warning", tag)
        ana.get_by_label("Points for Bike").fill("30")
        other_tab = ana.context.new_page()
        other_tab.goto(ana.url)
        ana.get_by_role("button", name="Save my choices").click()
        ana.locator("#saved").wait_for()
        snap(ana, "choose-saved", tag)
        other_tab.get_by_label("Points for Gym").fill("100")
        other_tab.get_by_label("Points for Parking").fill("")
        other_tab.get_by_label("Points for Bike").fill("")
        other_tab.get_by_role("button", name="Save my choices").click()
        other_tab.locator("#conflict").wait_for()
        assert other_tab.get_by_label("Points for Gym").input_value() == "100"
        snap(other_tab, "choose-conflict", tag)

        hana = _person(browser, _link(fresh_db, base, roles=["hr_admin", "approver"], name="Hana"))
        hana.goto(f"{base}/portal/hr/periods/{period}")
        snap(hana, "hr-period", tag)
        hana.get_by_role("button", name="Close the period").click()
        hana.get_by_role("button", name="Start a run").click()
        hana.get_by_text("Status: succeeded").wait_for()  # htmx follows the progress
        snap(hana, "hr-run", tag)
        hana.get_by_role("button", name="Approve for payroll").click()
        assert "four-eyes" in hana.locator("main").inner_text()
        run_url = hana.url.removesuffix("/approve")
        alex = _person(browser, _link(fresh_db, base, roles=["approver"], name="Alex"))
        alex.goto(run_url)
        alex.get_by_role("button", name="Approve for payroll").click()
        alex.locator("#approved").wait_for()
        snap(alex, "hr-approved", tag)
        hana.goto(f"{base}/portal/hr/audit")
        snap(hana, "audit", tag)

        eric = _person(browser, _link(fresh_db, base, employee="E1", roles=[]))
        eric.goto(f"{base}/portal/me/periods/{period}/result")
        wishes = eric.locator("#wishes").inner_text()
        assert "Parking" in wishes and "Gym" in wishes
        assert "flexben check problem.json result.json" in eric.locator("#receipt").inner_text()
        snap(eric, "result", tag)
        _a_life_event(world, base, tag, eric=eric, hana=hana, alex=alex)
        eric.get_by_label("Language").select_option("fr")
        eric.get_by_role("button", name="Apply").click()
        eric.get_by_role("heading", name=re.compile("Votre attribution")).wait_for()
        snap(eric, "result-fr", tag)
        fiona = _person(browser, _link(fresh_db, base, roles=["finance"], name="Fiona"))
        fiona.goto(f"{base}/portal/finance/periods/{period}")
        snap(fiona, "finance", tag)
        fiona.get_by_label(re.compile("^From")).fill("1000000")
        fiona.get_by_label(re.compile("^To")).fill("2000000")
        fiona.get_by_label("Steps").fill("3")
        fiona.get_by_role("button", name="Draw the curve").click()
        fiona.locator("#fairness").wait_for(timeout=120_000)
        assert "Current cap: 20,000.00 EUR" in fiona.locator("#fairness").inner_text()
        loaded = """img => img.complete ? img.naturalWidth : new Promise(done => {
            img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })"""
        assert fiona.locator("figure.chart img").evaluate(loaded) > 0  # the SVG chart
        snap(fiona, "curve", tag)
        docs = eric.context.new_page()
        docs.goto(f"{base}/docs")
        docs.locator(".swagger-ui .info").wait_for()  # rendered from vendored assets
