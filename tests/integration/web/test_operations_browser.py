"""The bulk upload page and the drift report in a real browser, with the real web app, worker and
Control Center simulator, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import csv
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect
from sqlalchemy import select

from centre import clients, communicator_types, seed
from centre.clients import ClientRef
from centre.validation import with_luhn_digit
from cli.main import cli
from models import Signal
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR as SETUP
from tests.integration.fixtures import SIM_KEY, SIM_USER, Stack, wait_for
from tests.integration.web.fixtures import ADMIN, OPERATOR, WebApp, log_in

pytestmark = pytest.mark.integration

DONE_TIMEOUT_MS = 90_000
HEADER = "client_code,name,iccid,communicator_type"


def _iccid(n: int) -> str:
    return with_luhn_digit(f"8988{os.getpid() % 10_000:04d}{700 + n:010d}")


def _upload(page: Page, file: Path, *, skip: bool) -> None:
    page.get_by_label("Commission", exact=True).check()
    page.get_by_label("CSV file").set_input_files(str(file))
    page.get_by_label("Skip bad rows").set_checked(skip)
    page.get_by_role("button", name="Check and apply").click()


def test_admin_uploads_a_file_sees_every_bad_row_then_skips_them_and_watches_it_finish(
    stack: Stack, worker: subprocess.Popen[bytes], web: WebApp, page: Page, tmp_path: Path
) -> None:
    with unit_of_work() as session:
        seed.seed(session, SETUP)
        communicator_types.add(
            session, "Carrier", stack.server_address, SIM_USER, SIM_KEY, SETUP, calls_per_second=50
        )
    good = [_iccid(n) for n in range(3)]
    typo = good[0][:-1] + str((int(good[0][-1]) + 1) % 10)
    file = tmp_path / "install.csv"
    lines = [
        HEADER,
        f"WB0,Shop 0,{good[0]},Carrier",  # 2
        f"WB1,Shop 1,{typo},Carrier",  # 3: wrong check digit
        f"WB2,Shop 2,{good[1]},Carrier",  # 4
        "WB3,,,",  # 5: a new client needs a name
        f"WB4,Shop 4,{good[2]},Carrier",  # 6
    ]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    log_in(page, web, ADMIN)
    page.get_by_role("link", name="Bulk", exact=True).click()
    _upload(page, file, skip=False)
    expect(page.locator(".form-error")).to_contain_text(
        "2 of 5 rows of the file are bad; nothing was applied"
    )
    refused = page.locator("tr.bad-row")
    expect(refused).to_have_count(2)
    expect(page.locator('tr.bad-row[data-row="3"]')).to_contain_text("wrong check digit (Luhn)")
    expect(page.locator('tr.bad-row[data-row="5"]')).to_contain_text("give a name to create it")
    with unit_of_work() as session:
        assert clients.search(session, "WB", limit=10) == []  # nothing applied

    _upload(page, file, skip=True)
    expect(page.locator(".flash-ok")).to_contain_text("(2 bad rows skipped)")
    page.evaluate("window.__sameDocument = true")  # a reload would lose it: the progress updates in place
    progress = page.locator("#bulk-progress")
    expect(progress).to_have_attribute("data-finished", "true", timeout=DONE_TIMEOUT_MS)
    expect(progress).to_contain_text("Done:")
    expect(progress.locator('dd[data-status="succeeded"]')).to_have_text("3")
    expect(progress.locator('dd[data-status="invalid"]')).to_have_text("2")
    expect(progress.locator("#bulk-applied")).to_have_attribute("value", "3")
    expect(progress.locator("#bulk-finished")).to_have_attribute("max", "3")
    assert page.evaluate("window.__sameDocument === true")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the result file").click()
    assert download.value.suggested_filename == "install.results.csv"
    saved = tmp_path / "results.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8", newline="") as stream:
        results = {row["row"]: row for row in csv.DictReader(stream)}
    assert {row: r["status"] for row, r in results.items()} == {
        "2": "succeeded",
        "3": "invalid",
        "4": "succeeded",
        "5": "invalid",
        "6": "succeeded",
    }
    assert all("ACTIVATED" in results[row]["message"] for row in ("2", "4", "6"))
    assert {stack.sim_status(iccid) for iccid in good} == {"ACTIVATED"}

    page.get_by_role("link", name="Bulk commissioning").click()
    expect(page.locator("table.bulk-jobs")).to_contain_text("install.csv")
    expect(page.locator("table.bulk-jobs")).to_contain_text("Done")


def _outcomes(code: str) -> int:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        query = select(Signal).where(Signal.client_id == client.id, Signal.outcome.is_not(None))
        return len(session.scalars(query).all())


def test_drift_injected_at_the_carrier_shows_on_the_drift_page_after_a_reconcile_run(
    stack: Stack, worker: subprocess.Popen[bytes], make_client: Callable[..., str], web: WebApp, page: Page
) -> None:
    iccid = make_client("WDRIFT")
    with unit_of_work() as session:
        clients.commission(session, clients.find(session, ClientRef("WDRIFT")), SETUP)
    wait_for(lambda: _outcomes("WDRIFT") == 1, "the commission's outcome")
    assert stack.sim_status(iccid) == "ACTIVATED"

    log_in(page, web, OPERATOR)
    expect(page.get_by_role("link", name="Bulk", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Drift", exact=True).click()
    expect(page.locator("main")).to_contain_text("No SIM is out of line.")

    # Behind our back, someone deactivates the SIM at the carrier; the reconciler notices.
    changed = httpx.post(
        f"http://127.0.0.1:{stack.sim_port}/_admin/sims",
        json=[{"iccid": iccid, "status": "DEACTIVATED"}],
        auth=(SIM_USER, SIM_KEY),
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    run = CliRunner().invoke(cli, ["reconcile"], catch_exceptions=False)
    assert run.exit_code == 0, run.output

    page.reload()
    row = page.locator(f'tr.drift[data-iccid="{iccid}"]')
    expect(row).to_contain_text("DEACTIVATED")
    expect(row).to_contain_text("ACTIVATED")
    expect(row).to_contain_text("Carrier")
    row.get_by_role("link", name="WDRIFT").click()
    expect(page.get_by_role("heading", name="Maintenance")).to_be_visible()
    expect(page.locator("#history-rows")).to_contain_text("DEACTIVATED, expected ACTIVATED")

    response = page.goto(web.path("/bulk"))
    assert response is not None
    assert response.status == 403
