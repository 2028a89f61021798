"""The SIM swap in a real browser: an admin replaces a panel's SIM from the SIM console (Debian's Chromium
driving the real web app against the Control Center simulator); an operator is not offered it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from centre import clients, communicator_types
from centre.clients import ClientRef
from centre.validation import with_luhn_digit
from models import AddonDevice
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR as SETUP
from tests.integration.fixtures import SIM_KEY, SIM_USER, Stack, commissioned
from tests.integration.web.fixtures import ADMIN, OPERATOR, WebApp, find_client, log_in

pytestmark = pytest.mark.integration

CARRIER = "Swap carrier"


def _commissioned(stack: Stack, make_client: Callable[..., str], code: str) -> str:
    """A client whose SIM is on, on a carrier account paced at 20 calls a second; its ICCID."""
    with unit_of_work() as session:
        communicator_types.add(
            session, CARRIER, stack.server_address, SIM_USER, SIM_KEY, SETUP, calls_per_second=20
        )
    return commissioned(stack, make_client, code, CARRIER)


def _changes(stack: Stack) -> int:
    """The change calls the carrier had (the console's reads of the SIM go on by themselves)."""
    return sum(1 for call in stack.sim_calls() if call["method"] != "GET")


def _device_iccids(code: str) -> list[str]:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        query = select(AddonDevice.device_ref_no).where(AddonDevice.client_id == client.id)
        return [ref for ref in session.scalars(query) if ref is not None]


def test_an_admin_swaps_a_panel_s_sim_from_the_console(
    stack: Stack, make_client: Callable[..., str], web: WebApp, page: Page
) -> None:
    old = _commissioned(stack, make_client, "SWB1")
    new = with_luhn_digit("898800000000000771")
    log_in(page, web, ADMIN)
    find_client(page, "SWB1")
    page.get_by_role("link", name="SIM console").click()
    page.locator(f"#sim-{old}").get_by_role("link", name="Swap this SIM for a new one…").click()
    expect(page.get_by_role("heading", name=f"Swap SIM {old}")).to_be_visible()

    # A typo (a digit missing) is refused beside the field, and nothing is called or changed.
    changes_before = _changes(stack)
    page.get_by_label("New SIM (ICCID)").fill(new[:-1])
    page.get_by_role("button", name="Swap the SIM").click()
    expect(page.get_by_role("alert")).to_contain_text("must be 19 or 20 digits")
    assert _changes(stack) == changes_before
    assert _device_iccids("SWB1") == [old]

    page.get_by_label("New SIM (ICCID)").fill(new)
    page.get_by_role("button", name="Swap the SIM").click()
    expect(page.get_by_role("heading", name="SIM console")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="SIM swap done")).to_be_visible()
    expect(page.locator(f"#sim-{new}")).to_be_visible()
    expect(page.locator(f"#sim-{old}")).to_have_count(0)
    assert (stack.sim_status(new), stack.sim_status(old)) == ("ACTIVATED", "DEACTIVATED")
    assert _device_iccids("SWB1") == [new]


def test_an_operator_is_not_offered_the_swap(
    stack: Stack, make_client: Callable[..., str], web: WebApp, page: Page
) -> None:
    old = _commissioned(stack, make_client, "SWB2")
    log_in(page, web, OPERATOR)
    find_client(page, "SWB2")
    page.get_by_role("link", name="SIM console").click()
    expect(page.locator(f"#sim-{old}")).to_be_visible()
    expect(page.get_by_role("link", name="Swap this SIM for a new one…")).to_have_count(0)
    answer = page.goto(f"{page.url.split('#')[0].rstrip('/')}/{old}/swap")
    assert answer is not None
    assert answer.status == 403
    expect(page.locator("main")).to_contain_text("This page is for admins")
    assert stack.sim_status(old) == "ACTIVATED"
