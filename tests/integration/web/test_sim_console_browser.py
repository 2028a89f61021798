"""The SIM console in a real browser: Debian's Chromium driving the real web app, worker and Control
Center simulator, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from centre import communicator_types
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR as SETUP
from tests.integration.fixtures import SIM_KEY, SIM_USER, Stack
from tests.integration.web.fixtures import ADMIN, OPERATOR, WebApp, find_client, log_in

pytestmark = pytest.mark.integration

OUTCOME_TIMEOUT_MS = 60_000
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "sim-console.png"
CARRIER = "Console carrier"


@pytest.fixture
def sim(stack: Stack, make_client: Callable[..., str]) -> Callable[[str], str]:
    """A client with one SIM on a carrier account paced at 20 calls a second; returns the ICCID."""
    with unit_of_work() as session:
        communicator_types.add(
            session, CARRIER, stack.server_address, SIM_USER, SIM_KEY, SETUP, calls_per_second=20
        )
    return lambda code: make_client(code, comm_name=CARRIER)


def _script_error(stack: Stack, iccid: str, code: str) -> None:
    """The carrier's next answer on the SIM is error ``code``."""
    answer = httpx.post(
        f"http://127.0.0.1:{stack.sim_port}/_admin/errors",
        json=[{"iccid": iccid, "errorCode": code}],
        auth=(SIM_USER, SIM_KEY),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text


def _open_console(page: Page, code: str, iccid: str) -> Locator:
    find_client(page, code)
    page.get_by_role("link", name="SIM console").click()
    expect(page.get_by_role("heading", name="SIM console")).to_be_visible()
    page.evaluate("window.__sameDocument = true")  # lost on a reload: History must follow by itself
    return page.locator(f"#sim-{iccid}")


def _row(page: Page, type_no: int, nth: int = 0) -> Locator:
    return page.locator(f'#history-rows tr[data-type-no="{type_no}"]').nth(nth)


def _fact(panel: Locator, name: str) -> Locator:
    return panel.locator(f'dt:text-is("{name}") + dd')


def test_an_operator_reads_a_sim_changes_it_and_history_follows(
    stack: Stack, worker: subprocess.Popen[bytes], sim: Callable[[str], str], web: WebApp, page: Page
) -> None:
    iccid = sim("CONW1")
    log_in(page, web, OPERATOR)
    panel = _open_console(page, "CONW1", iccid)

    expect(_fact(panel, "Status")).to_have_text("Activation Ready")  # read live, after the page
    expect(_fact(panel, "Rate plan")).to_have_text("Alarm Panel 5MB")
    expect(_fact(panel, "Read at")).not_to_be_empty()
    expect(panel.locator(".sim-rules")).to_contain_text("10000029")

    panel.get_by_label("New status").select_option("ACTIVATED")
    panel.get_by_role("button", name="Change status").click()
    expect(panel.locator(f"#sim-{iccid}-status-result")).to_contain_text("requested (execution")
    expect(_row(page, 65522)).to_contain_text(OPERATOR)
    expect(_row(page, 65518)).to_contain_text("ACTIVATED, confirmed", timeout=OUTCOME_TIMEOUT_MS)
    assert stack.sim_status(iccid) == "ACTIVATED"

    panel.get_by_label("Message", exact=True).fill("wake up")
    panel.get_by_role("button", name="Send SMS").click()
    expect(panel.locator(f"#sim-{iccid}-sms-result")).to_contain_text("SMS to SIM")
    sent = _row(page, 65518)
    expect(sent).to_contain_text("SMS sent, carrier message id", timeout=OUTCOME_TIMEOUT_MS)
    expect(sent).to_contain_text("status Delivered")
    # The form that asked says the outcome too, once its poll has it.
    expect(panel.locator(f"#sim-{iccid}-sms-result")).to_contain_text("SMS sent", timeout=OUTCOME_TIMEOUT_MS)

    # The carrier's rules, read again: a move back is explained and not sent.
    # The status already reads Activated: wait for the new reading, or the form chosen in would be replaced.
    read_at = panel.locator(".sim-facts time").get_attribute("datetime")
    panel.get_by_role("button", name="Read again").click()
    expect(panel.locator(".sim-facts time")).not_to_have_attribute("datetime", read_at or "")
    expect(_fact(panel, "Status")).to_have_text("Activated")
    expect(panel.locator(".sim-rules")).to_contain_text("This SIM has been activated")
    panel.get_by_label("New status").select_option("INVENTORY")
    panel.get_by_role("button", name="Change status").click()
    refusal = panel.locator(f"#sim-{iccid}-status-result")
    expect(refusal).to_contain_text("Not sent")
    expect(refusal).to_contain_text("may not move back to a pre-activation status (10000029)")
    assert stack.sim_status(iccid) == "ACTIVATED"

    # A refusal by the carrier itself comes back into History, explained.
    _script_error(stack, iccid, "10000030")
    panel.get_by_label("Message", exact=True).fill("wake up again")
    panel.get_by_role("button", name="Send SMS").click()
    failed = _row(page, 65519)
    expect(failed).to_contain_text("Failed", timeout=OUTCOME_TIMEOUT_MS)
    expect(failed.locator(".carrier-error")).to_contain_text("10000030")
    expect(failed.locator(".carrier-error")).to_contain_text("role")
    assert page.evaluate("window.__sameDocument === true")
    requests = page.locator('#history-rows tr[data-type-no="65522"]')
    expect(requests).to_have_count(3)  # status, SMS, SMS: the refused move was never sent


def test_an_operator_cannot_retire_a_sim(
    stack: Stack, sim: Callable[[str], str], web: WebApp, page: Page
) -> None:
    iccid = sim("CONW2")
    log_in(page, web, OPERATOR)
    panel = _open_console(page, "CONW2", iccid)
    expect(_fact(panel, "Status")).to_have_text("Activation Ready")
    expect(panel.locator(".sim-rules")).to_contain_text("only admins may retire a SIM")
    expect(panel.locator('select[name="status"] option[value="RETIRED"]')).to_have_count(0)
    expect(panel.get_by_label("Retiring: I confirm", exact=False)).to_have_count(0)
    expect(page.get_by_text("Change rate plan")).to_have_count(0)

    # Not only hidden: the server refuses it, with the session and its CSRF token.
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    for path, form in [
        ("status", {"status": "RETIRED", "confirm": "true"}),
        ("rate-plan", {"rate_plan": "Alarm Panel 20MB"}),
    ]:
        answer = page.request.post(
            page.url.rsplit("/sims", 1)[0] + f"/sims/{iccid}/{path}",
            form={**form, "csrf_token": token},
            max_redirects=0,
        )
        assert answer.status == 403, (path, answer.status)
        assert "for admins" in answer.text()
    assert stack.sim_status(iccid) == "ACTIVATION_READY"
    expect(page.locator('#history-rows tr[data-type-no="65522"]')).to_have_count(0)


def test_an_admin_changes_the_rate_plan_reads_usage_and_retires_with_confirmation(
    stack: Stack,
    worker: subprocess.Popen[bytes],
    sim: Callable[[str], str],
    web: WebApp,
    page: Page,
    database: str,
    tmp_path: Path,
) -> None:
    iccid = sim("CONW3")
    log_in(page, web, ADMIN)
    panel = _open_console(page, "CONW3", iccid)
    expect(_fact(panel, "Status")).to_have_text("Activation Ready")

    panel.get_by_text("Change rate plan…").click()  # the carrier's list is read when opened
    plans = panel.get_by_label("Rate plan", exact=True)
    expect(plans.locator("option")).to_have_count(5)  # "Choose…" and the carrier's four
    plans.select_option("Alarm Panel 20MB")
    panel.get_by_role("button", name="Change rate plan", exact=True).click()
    expect(_row(page, 65518)).to_contain_text(
        "rate plan Alarm Panel 20MB, confirmed", timeout=OUTCOME_TIMEOUT_MS
    )

    panel.get_by_label("New status").select_option("ACTIVATED")
    panel.get_by_role("button", name="Change status").click()
    expect(_row(page, 65518)).to_contain_text("ACTIVATED, confirmed", timeout=OUTCOME_TIMEOUT_MS)
    panel.get_by_label("Message", exact=True).fill("wake up")
    panel.get_by_role("button", name="Send SMS").click()
    expect(_row(page, 65518)).to_contain_text("status Delivered", timeout=OUTCOME_TIMEOUT_MS)

    panel.get_by_label("Cycle start date").fill("2026-01-01")
    panel.get_by_role("button", name="Show usage").click()
    usage = panel.locator(f"#sim-{iccid}-usage")
    expect(usage).to_contain_text("Cycle starting 2026-01-01")
    expect(usage).to_contain_text("bytes")
    # The status already reads Activated: wait for the new reading, or the form chosen in would be replaced.
    read_at = panel.locator(".sim-facts time").get_attribute("datetime")
    panel.get_by_role("button", name="Read again").click()
    expect(panel.locator(".sim-facts time")).not_to_have_attribute("datetime", read_at or "")
    expect(_fact(panel, "Status")).to_have_text("Activated")
    expect(_fact(panel, "Rate plan")).to_have_text("Alarm Panel 20MB")

    shot = tmp_path / "sim-console.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and database.startswith("sqlite"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOT)

    result = panel.locator(f"#sim-{iccid}-status-result")
    panel.get_by_label("New status").select_option("RETIRED")
    panel.get_by_role("button", name="Change status").click()
    expect(result).to_contain_text("confirm to go ahead")
    assert stack.sim_status(iccid) == "ACTIVATED"
    panel.get_by_label("Retiring: I confirm", exact=False).check()
    panel.get_by_role("button", name="Change status").click()
    expect(result).to_contain_text("to RETIRED: requested")
    expect(_row(page, 65518)).to_contain_text("RETIRED, confirmed", timeout=OUTCOME_TIMEOUT_MS)
    assert stack.sim_status(iccid) == "RETIRED"
    expect(_row(page, 65522)).to_contain_text(ADMIN)
