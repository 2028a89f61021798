"""The configuration pages added for staff who set a centre up from the web alone, in a real browser
against the real web app: the decommission policy's confirmation flow, and the policy, webhook and
panel event map pages at laptop width."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from centre import clients
from centre.clients import ClientRef
from features.receiver import mapping
from models import CommunicatorType, WebhookEndpoint
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR as SETUP
from tests.integration.fixtures import Stack
from tests.integration.web.fixtures import ADMIN, WebApp, log_in

pytestmark = pytest.mark.integration

LAPTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def _shoot(page: Page, tmp_path: Path, name: str, database: str) -> None:
    """A screenshot of the page; UPDATE_SCREENSHOTS=1 refreshes the README's (from the SQLite run)."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and database.startswith("sqlite"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / name)


def _fits(page: Page) -> None:
    """Nothing sticks out sideways at this width."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow} px wider than the window"


def _policy_days() -> int | None:
    with unit_of_work() as session:
        return session.scalars(
            select(CommunicatorType.terminate_after_days).where(CommunicatorType.name == "Carrier")
        ).one()


def test_an_admin_sets_terminate_after_only_once_confirmed_then_clears_it(
    stack: Stack,
    web: WebApp,
    page: Page,
    make_client: Callable[..., str],
    database: str,
    tmp_path: Path,
) -> None:
    iccid = make_client("DP1")  # on communicator type "Carrier", decommissioned: its SIM would be terminated
    with unit_of_work() as session:
        clients.decommission(session, clients.find(session, ClientRef("DP1")), SETUP, "moved out")
    page.set_viewport_size(LAPTOP)
    log_in(page, web, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Configuration").click()
    page.get_by_role("link", name="Communicator types").click()
    page.get_by_role("link", name="Carrier", exact=True).click()
    page.get_by_role("link", name="See what decommission does on this platform").click()
    expect(page.get_by_role("heading", name="What decommission does on Cisco")).to_be_visible()
    expect(page.locator("#policy-now")).to_have_text(
        "decommission sets DEACTIVATED (stops billing); never terminates"
    )
    _fits(page)

    # Without the tick: refused beside the box, nothing set.
    page.get_by_label("Terminate after (days)").fill("30")
    page.get_by_role("button", name="Set the policy").click()
    expect(page.locator(".field-error")).to_contain_text("terminating a SIM cannot be undone: confirm")
    assert page.get_by_label("I confirm").get_attribute("aria-invalid") == "true"
    assert _policy_days() is None
    _fits(page)

    page.get_by_label("Terminate after (days)").fill("30")
    page.get_by_label("I confirm").check()
    page.get_by_role("button", name="Set the policy").click()
    expect(page.locator(".flash-ok")).to_contain_text("RETIRED 30 days later")
    expect(page.locator("td.iccid")).to_have_text(iccid)  # pending now
    _fits(page)
    _shoot(page, tmp_path, "decommission-policy.png", database)
    expect(page.locator("#policy-now")).to_have_text(
        "decommission sets DEACTIVATED (stops billing); RETIRED 30 days later"
    )
    assert _policy_days() == 30

    page.get_by_role("button", name="Never terminate").click()
    expect(page.locator("#policy-now")).to_contain_text("never terminates")
    assert _policy_days() is None
    expect(page.get_by_text("No termination is pending for Carrier.")).to_be_visible()


def test_webhooks_and_the_panel_event_map_work_at_laptop_width(
    stack: Stack, web: WebApp, page: Page, database: str, tmp_path: Path
) -> None:
    with unit_of_work() as session:
        mapping.ensure_defaults(session)
    page.set_viewport_size(LAPTOP)
    log_in(page, web, ADMIN)
    page.goto(web.path("/admin"))
    page.get_by_role("link", name="Webhook endpoints").click()
    page.get_by_label("Name").fill("crm")
    page.get_by_label("Address").fill("https://crm.example.com/hooks/commissioner")
    page.get_by_label("Secret").fill("a secret of sixteen or more")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator(".flash-ok")).to_contain_text("Webhook endpoint crm added")
    expect(page.locator("#endpoint-crm")).to_contain_text("set (stored encrypted, never shown)")
    assert "a secret of sixteen or more" not in page.content()
    _fits(page)
    _shoot(page, tmp_path, "webhooks.png", database)
    with unit_of_work() as session:
        assert session.get(WebhookEndpoint, "crm") is not None

    page.goto(web.path("/admin"))
    page.get_by_role("link", name="Panel event map").click()
    page.get_by_role("link", name="Change SIA BA", exact=True).click()
    expect(page.get_by_label("Type number")).to_have_value("130")
    page.get_by_label("Type number").fill("131")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-ok")).to_contain_text("SIA BA is logged as type 131.")
    expect(page.locator("#map-sia-BA")).to_contain_text("131")
    _fits(page)
    _shoot(page, tmp_path, "panel-map.png", database)
