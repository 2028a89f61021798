"""The issue's "Done means", in a real browser: Debian's Chromium driving the real web app, worker and
Control Center simulator, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from centre import communicator_types
from cli.processes import free_port, start_simulator, stop
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR as SETUP
from tests.integration.fixtures import SIM_KEY, SIM_USER, Stack
from tests.integration.web.fixtures import ADMIN, OPERATOR, WebApp, find_client, log_in

pytestmark = pytest.mark.integration

OUTCOME_TIMEOUT_MS = 60_000
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "client-page.png"


def _open_client(page: Page, web: WebApp, code: str) -> None:
    find_client(page, code)
    expect(page.get_by_role("heading", name="Maintenance")).to_be_visible()


def _mark_page(page: Page) -> None:
    """A flag that a reload or navigation would lose: proof that History updated by itself."""
    page.evaluate("window.__sameDocument = true")


def _same_document(page: Page) -> bool:
    return bool(page.evaluate("window.__sameDocument === true"))


def _row(page: Page, type_no: int, nth: int = 0):  # type: ignore[no-untyped-def]
    return page.locator(f'#history-rows tr[data-type-no="{type_no}"]').nth(nth)


def test_operator_commissions_then_decommissions_and_history_follows_without_reloading(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str], web: WebApp, page: Page
) -> None:
    iccid = make_client("WEB1")
    log_in(page, web, OPERATOR)
    _open_client(page, web, "WEB1")
    _mark_page(page)

    page.get_by_role("button", name="Commission", exact=True).click()
    expect(page.locator("#maintenance")).to_contain_text("WEB1 commissioned")
    expect(_row(page, 65516)).to_be_visible()
    succeeded = _row(page, 65518)
    expect(succeeded).to_contain_text("Succeeded", timeout=OUTCOME_TIMEOUT_MS)
    expect(succeeded).to_contain_text(iccid)
    assert _same_document(page)
    assert stack.sim_status(iccid) == "ACTIVATED"

    page.get_by_text("Decommission…").click()
    page.get_by_label("Reason").fill("customer moved out")
    page.get_by_label("Take Client Offline").check()
    page.get_by_role("button", name="Decommission", exact=True).click()
    maintenance = page.locator("#maintenance")
    expect(maintenance).to_contain_text("customer moved out")
    expect(maintenance).to_contain_text("Yes: signals raise no response")
    expect(_row(page, 65517)).to_be_visible()
    expect(_row(page, 65518, 0)).to_contain_text("DEACTIVATED", timeout=OUTCOME_TIMEOUT_MS)
    assert _same_document(page)
    assert stack.sim_status(iccid) == "DEACTIVATED"
    types = page.locator("#history-rows tr.signal").evaluate_all("rows => rows.map(r => r.dataset.typeNo)")
    assert types == ["65518", "65517", "65518", "65516"]  # newest first


def test_a_carrier_failure_shows_its_error_and_is_retried_with_one_click(
    stack: Stack,
    worker: subprocess.Popen[bytes],
    make_client: Callable[..., str],
    web: WebApp,
    page: Page,
    database: str,
    tmp_path: Path,
) -> None:
    port = free_port()
    strict = start_simulator(port, SIM_USER, SIM_KEY, ["--strict"], env={**os.environ, **stack.env})
    try:
        address = f"http://127.0.0.1:{port}/rws/api/v1"
        with unit_of_work() as session:
            communicator_types.add(session, "Strict carrier", address, SIM_USER, SIM_KEY, SETUP)
        iccid = make_client("WEB2", comm_name="Strict carrier")
        log_in(page, web, OPERATOR)
        _open_client(page, web, "WEB2")
        _mark_page(page)

        page.get_by_role("button", name="Commission", exact=True).click()
        failed = _row(page, 65519)
        expect(failed).to_contain_text("Failed", timeout=OUTCOME_TIMEOUT_MS)
        expect(failed.locator(".carrier-error")).to_contain_text("20000001")
        expect(failed.locator(".carrier-error")).to_contain_text(iccid)

        # The centre fixes the cause (the carrier now knows the SIM); the operator retries.
        known = httpx.post(
            f"http://127.0.0.1:{port}/_admin/sims",
            json=[{"iccid": iccid, "status": "ACTIVATION_READY"}],
            auth=(SIM_USER, SIM_KEY),
            timeout=5,
        )
        assert known.status_code == 200, known.text
        failed.get_by_role("button", name="Retry").click()
        expect(failed).to_contain_text("Retrying as execution")
        expect(_row(page, 65518)).to_contain_text("Succeeded", timeout=OUTCOME_TIMEOUT_MS)
        assert _same_document(page)
        status = httpx.get(f"{address}/devices/{iccid}", auth=(SIM_USER, SIM_KEY), timeout=5).json()["status"]
        assert status == "ACTIVATED"

        shot = tmp_path / "client-page.png"
        page.screenshot(path=str(shot), full_page=True)
        if os.environ.get("UPDATE_SCREENSHOTS") == "1" and database.startswith("sqlite"):
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, SCREENSHOT)
    finally:
        stop(strict)


def test_admin_creates_a_communicator_type_and_the_key_never_reaches_the_browser(
    stack: Stack, web: WebApp, page: Page
) -> None:
    secret = "browser-test-s3cret-api-key"
    bodies: list[str] = []
    page.on("response", lambda response: bodies.append(_text(response)))
    log_in(page, web, ADMIN)
    page.get_by_role("link", name="Configuration").click()
    page.get_by_role("link", name="Communicator types").click()
    page.get_by_label("Name", exact=True).fill("Browser carrier")
    page.get_by_label("Server address").fill(stack.server_address)
    page.get_by_label("User name").fill(SIM_USER)
    page.get_by_label("API key").fill(SIM_KEY)
    page.get_by_role("button", name="Add communicator type").click()
    expect(page.locator(".flash-ok")).to_contain_text("Communicator type Browser carrier added")
    assert SIM_KEY not in page.content()

    page.get_by_role("link", name="Browser carrier").click()
    assert SIM_KEY not in page.content()
    expect(page.get_by_label("API key")).to_have_value("")
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection works")

    page.get_by_label("API key").fill(secret)  # replace the key: still never shown again
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-ok")).to_contain_text("saved")
    assert secret not in page.content()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection failed")
    assert bodies
    assert not [body for body in bodies if SIM_KEY in body or secret in body]


def _text(response) -> str:  # type: ignore[no-untyped-def]
    try:
        return str(response.text())
    except Exception:  # redirects and aborted loads have no body to read
        return ""


def test_an_operator_is_refused_the_admin_pages(stack: Stack, web: WebApp, page: Page) -> None:
    log_in(page, web, OPERATOR)
    expect(page.get_by_role("link", name="Clients")).to_be_visible()
    expect(page.get_by_role("link", name="Configuration")).to_have_count(0)
    for path in ("/admin", "/admin/communicator-types", "/admin/accounts", "/admin/settings"):
        response = page.goto(web.path(path))
        assert response is not None
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
        expect(page.locator("main")).to_contain_text("for admins")
