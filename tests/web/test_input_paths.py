"""Every input path applies the same validation: the web forms, the JSON API and the command line take
the same free text, or refuse it with the same message, and a refusal changes nothing.

Before, web forms skipped the API's checks: a 900 KB memo was stored and rendered on every page, and
terminal escape sequences in a memo forged lines in `commissioner client history`."""

from __future__ import annotations

import html

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli.main import cli
from models import Signal, SignalSource
from models.db import unit_of_work
from tests.web.fixtures import CLIENT, Browser, bearer, client_id, client_row, snapshot

BAD = {
    "a 900 KB memo": "x" * 900_000,
    "a line break": "first\nsecond",
    "a terminal escape": "ok\x1b[2J\x1b[1;1Hforged",
    "a C1 control (CSI)": "ok\x9b2Jforged",
}


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
def test_a_bad_reason_is_refused_alike_on_the_form_the_api_and_the_command_line(
    operator: Browser, app_client: TestClient, world: dict[str, str], text: str
) -> None:
    operator.page(f"/clients/{client_id()}")
    before = snapshot()
    form = operator.post(f"/clients/{client_id()}/decommission", {"reason": text}, htmx=True)
    assert form.status_code == 422
    api = app_client.post(
        f"/api/clients/{CLIENT}/decommission", headers=bearer(world["operator_token"]), json={"reason": text}
    )
    assert api.status_code == 422
    line = CliRunner().invoke(cli, ["client", "decommission", CLIENT, "--reason", text])
    assert line.exit_code == 1
    assert line.output.startswith("error: decommission reason must be")
    assert "Traceback" not in line.output
    assert snapshot() == before
    assert client_row().decommissioned_at is None


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
def test_a_bad_memo_is_refused_on_every_path(
    operator: Browser, app_client: TestClient, world: dict[str, str], text: str
) -> None:
    before = snapshot()
    api = app_client.post(
        "/api/signals",
        headers=bearer(world["operator_token"]),
        json={"client_code": CLIENT, "type_no": 130, "memo": text},
    )
    assert api.status_code == 422
    commission = app_client.post(
        f"/api/clients/{CLIENT}/commission", headers=bearer(world["operator_token"]), json={"memo": text}
    )
    assert commission.status_code == 422
    line = CliRunner().invoke(cli, ["signal", CLIENT, "130", "--memo", text])
    assert line.exit_code == 1
    assert "memo must be" in line.output
    assert snapshot() == before


def test_history_on_the_command_line_shows_control_characters_never_acts_on_them(
    world: dict[str, str],
) -> None:
    """A memo stored before the checks existed is written as escapes, so it cannot forge a line."""
    with unit_of_work() as session:
        signal = Signal(
            client_id=client_id(),
            type_no=130,
            zone=0,
            description="Burglary",
            source=SignalSource.MANUAL,
            memo="ok\n2026-01-01 00:00:00  65516  Client Commissioned\x1b[31m",
        )
        session.add(signal)
    shown = CliRunner().invoke(cli, ["client", "history", CLIENT])
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.output
    assert "\\n2026-01-01 00:00:00  65516" in shown.output
    assert shown.output.count("\n") == 1  # one entry, one line


def test_the_page_shows_a_long_memo_the_api_took_once(operator: Browser, world: dict[str, str]) -> None:
    memo = "y" * 1000  # the most a memo may be, on every path
    answer = operator.http.post(
        "/api/signals",
        headers=bearer(world["operator_token"]),
        json={"client_code": CLIENT, "type_no": 130, "memo": memo},
    )
    assert answer.status_code == 201, answer.text
    assert memo in html.unescape(operator.page(f"/clients/{client_id()}"))
