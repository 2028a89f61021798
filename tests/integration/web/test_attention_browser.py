"""The operator's night, in a real browser: failures on three clients reach the attention page by
themselves; one is retried from there and the count in the navigation bar goes down. Also the layout
at laptop width and on a wall screen (no sideways scrolling, ICCIDs on one line), with the README's
screenshots taken from the same pages."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from centre import clients, communicator_types
from centre.clients import ClientRef
from cli.processes import free_port, start_simulator, stop, wait_until
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR as SETUP
from tests.integration.fixtures import SIM_KEY, SIM_USER, Stack
from tests.integration.web.fixtures import ADMIN, OPERATOR, WebApp, find_client, log_in
from tests.web.fixtures import failed_console_request

pytestmark = pytest.mark.integration

OUTCOME_TIMEOUT_MS = 60_000
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
WALL = {"width": 1920, "height": 1080}


def _fits(page: Page) -> None:
    """Nothing sticks out sideways, and every ICCID shown is on one line."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the window"
    wrapped = page.locator(".iccid").evaluate_all(
        "cells => cells.filter(c => c.textContent.trim() && c.getClientRects().length"
        " && (() => { const r = document.createRange(); r.selectNodeContents(c);"
        " return r.getClientRects().length > 1; })()).map(c => c.textContent.trim())"
    )
    assert wrapped == [], f"ICCIDs on two lines: {wrapped}"


def _labelled(page: Page) -> None:
    """Every control a person can reach has a name a screen reader says, and takes the keyboard focus."""
    nameless = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
        .filter(el => el.getClientRects().length)
        .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                        || el.getAttribute('aria-labelledby') || el.textContent.trim()))
        .map(el => el.outerHTML.slice(0, 120))"""
    )
    assert nameless == [], nameless
    unreachable = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href]')]
        .filter(el => el.getClientRects().length && el.tabIndex < 0).map(el => el.outerHTML.slice(0, 120))"""
    )
    assert unreachable == [], unreachable


def _shoot(page: Page, tmp_path: Path, name: str, database: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=False)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and database.startswith("sqlite"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / name)


def test_a_night_shift_failures_appear_by_themselves_one_is_retried_and_the_count_goes_down(
    stack: Stack,
    worker: subprocess.Popen[bytes],
    make_client: Callable[..., str],
    web: WebApp,
    page: Page,
    database: str,
    tmp_path: Path,
) -> None:
    port = free_port()  # a carrier that refuses SIMs it does not know (20000001)
    strict = start_simulator(port, SIM_USER, SIM_KEY, ["--strict"], env={**os.environ, **stack.env})
    try:
        address = f"http://127.0.0.1:{port}/rws/api/v1"
        with unit_of_work() as session:
            communicator_types.add(session, "Strict carrier", address, SIM_USER, SIM_KEY, SETUP)
        codes = ["NIGHT1", "NIGHT2", "NIGHT3"]
        iccids = {code: make_client(code, comm_name="Strict carrier") for code in codes}

        page.set_viewport_size(LAPTOP)
        log_in(page, web, OPERATOR)  # lands on the attention page
        expect(page.get_by_role("heading", name="Attention")).to_be_visible()
        expect(page.locator("#attention-items")).to_contain_text("Nothing needs attention")
        page.evaluate("window.__sameDocument = true")  # lost on a reload

        for code in codes:  # three presses elsewhere in the centre, while the page stays open
            with unit_of_work() as session:
                clients.commission(session, clients.find(session, ClientRef(code)), SETUP)
        rows = page.locator("#attention-items tr.attention-failed")
        expect(rows).to_have_count(3, timeout=OUTCOME_TIMEOUT_MS)
        count = page.locator("#nav-attention-count .nav-count")
        expect(count).to_have_text("3", timeout=OUTCOME_TIMEOUT_MS)
        for code in codes:
            expect(page.locator("#attention-items")).to_contain_text(code)
        expect(rows.first).to_contain_text("20000001")
        assert page.evaluate("window.__sameDocument === true")
        _fits(page)
        _labelled(page)
        _shoot(page, tmp_path, "attention-laptop.png", database)

        # The centre fixes NIGHT2's cause (the carrier now knows its SIM); the operator retries it here.
        known = httpx.post(
            f"http://127.0.0.1:{port}/_admin/sims",
            json=[{"iccid": iccids["NIGHT2"], "status": "ACTIVATION_READY"}],
            auth=(SIM_USER, SIM_KEY),
            timeout=5,
        )
        assert known.status_code == 200, known.text
        page.get_by_role("button", name=f"Retry: NIGHT2 {iccids['NIGHT2']}").click()
        expect(page.locator("#attention-items")).to_contain_text("Retrying as execution")
        expect(rows).to_have_count(2, timeout=OUTCOME_TIMEOUT_MS)
        expect(count).to_have_text("2", timeout=OUTCOME_TIMEOUT_MS)
        expect(page.locator("#attention-items")).not_to_contain_text("NIGHT2")
        status = httpx.get(f"{address}/devices/{iccids['NIGHT2']}", auth=(SIM_USER, SIM_KEY), timeout=5)
        assert status.json()["status"] == "ACTIVATED"

        # The client page shows the failure beside its state; both pages on the wall screen.
        find_client(page, "NIGHT1")
        expect(page.locator("#maintenance")).to_contain_text("SIM change failed")
        _fits(page)
        _labelled(page)
        _shoot(page, tmp_path, "client-laptop.png", database)
        page.set_viewport_size(WALL)
        page.get_by_role("button", name="Wall screen").click()
        expect(page.locator("html")).to_have_attribute("data-display", "wall")
        _fits(page)
        _shoot(page, tmp_path, "client-wall.png", database)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Attention").click()
        expect(rows).to_have_count(2)
        _fits(page)
        _shoot(page, tmp_path, "attention-wall.png", database)
    finally:
        stop(strict)


def test_a_confirmation_being_ticked_survives_the_list_refreshing(
    stack: Stack, make_client: Callable[..., str], web: WebApp, page: Page
) -> None:
    """Before, the list's refresh every 5 s replaced the Retry form, unticking the Retire confirmation an
    admin had just ticked."""
    make_client("KEEP1")
    failed_console_request("KEEP1", {"action": "set_status", "status": "RETIRED"}, ADMIN)
    log_in(page, web, ADMIN)
    confirm = page.get_by_label("Retiring ends the SIM's life at the carrier: confirm")
    confirm.check()
    page.evaluate(
        "window.__refreshes = 0; document.body.addEventListener('htmx:afterSettle', "
        "e => { if (e.target.id === 'attention-items') window.__refreshes += 1; })"
    )
    wait_until(lambda: page.evaluate("window.__refreshes") >= 2, 30, "the list to refresh twice", 0.25)
    expect(confirm).to_be_checked()
    expect(page.locator("#attention-items")).to_contain_text("KEEP1")
