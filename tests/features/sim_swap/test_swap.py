"""The SIM swap against the real simulator: the new SIM on and confirmed, the old one off, the device
moved; a failure leaves both SIMs known and the device on the SIM that works; the outcome in history."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from centre import clients
from centre.clients import ClientRef
from centre.errors import Conflict
from centre.validation import with_luhn_digit
from cli.main import cli
from features.sim_swap import service
from models import AddonDevice, Signal
from models.db import unit_of_work
from pipeline import system_events
from tests.integration.fixtures import OPERATOR, SIM_KEY, SIM_USER, Stack, commissioned
from tests.web.fixtures import ADMIN, Browser
from tests.web.fixtures import OPERATOR as OPERATOR_LOGIN

pytestmark = pytest.mark.integration
# One stack each: the swap is carrier calls and two transactions; the broker plays no part.
ON_SQLITE = pytest.mark.parametrize(
    ("database", "broker"), [("sqlite", "sqla")], indirect=True, ids=["sqlite"]
)
# The page test on PostgreSQL: on SQLite every page waits for the busy timeout while its own
# transaction is open (web/templating.py reads the time zone in a second one).
ON_POSTGRESQL = pytest.mark.parametrize(
    ("database", "broker"), [("postgresql", "redis")], indirect=True, ids=["postgresql"]
)


def _commissioned(stack: Stack, make_client: Callable[..., str], code: str) -> str:
    return commissioned(stack, make_client, code)


def _device_ref(code: str) -> str | None:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        return session.scalar(select(AddonDevice.device_ref_no).where(AddonDevice.client_id == client.id))


def _history(code: str) -> list[Signal]:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        return list(session.scalars(select(Signal).where(Signal.client_id == client.id).order_by(Signal.id)))


@ON_SQLITE
def test_a_swap_from_the_command_line(stack: Stack, make_client: Callable[..., str]) -> None:
    old = _commissioned(stack, make_client, "SW1")
    new = with_luhn_digit("898800000000000123")

    result = CliRunner().invoke(cli, ["--operator", "ops", "sim", "swap", "SW1", old, new, "--json"])

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["done"] is True
    assert (answer["device_iccid"], answer["old_status"], answer["new_status"]) == (
        new,
        "DEACTIVATED",
        "ACTIVATED",
    )
    assert (stack.sim_status(new), stack.sim_status(old)) == ("ACTIVATED", "DEACTIVATED")
    assert _device_ref("SW1") == new
    types = [signal.type_no for signal in _history("SW1")]
    assert types[-2:] == [system_events.RECORD_CORRECTED, system_events.SIM_CONSOLE_ACTION]
    assert "SIM swap done" in _history("SW1")[-1].memo


@ON_SQLITE
def test_a_new_sim_the_carrier_refuses_leaves_the_panel_on_its_old_sim(
    stack: Stack, make_client: Callable[..., str]
) -> None:
    old = _commissioned(stack, make_client, "SW2")
    new = with_luhn_digit("898800000000000456")
    scripted = [{"iccid": new, "errorCode": "20000001", "count": 50}]
    httpx.post(
        f"http://127.0.0.1:{stack.sim_port}/_admin/errors", json=scripted, auth=(SIM_USER, SIM_KEY)
    ).raise_for_status()

    outcome = service.swap(ClientRef("SW2"), old, new, OPERATOR)

    assert not outcome.done
    assert (outcome.device_iccid, outcome.old_status, outcome.new_status) == (old, "ACTIVATED", None)
    assert "20000001" in outcome.message
    assert stack.sim_status(old) == "ACTIVATED"
    assert _device_ref("SW2") == old
    last = _history("SW2")[-1]
    assert last.type_no == system_events.SIM_CONSOLE_ACTION
    assert "SIM swap not done" in last.memo


@ON_SQLITE
def test_a_client_that_is_not_commissioned_is_refused_before_any_call(
    stack: Stack, make_client: Callable[..., str]
) -> None:
    old = make_client("SW3")
    before = len(stack.sim_calls())
    with pytest.raises(Conflict, match="not commissioned"):
        service.swap(ClientRef("SW3"), old, with_luhn_digit("898800000000000789"), OPERATOR)
    assert len(stack.sim_calls()) == before


@ON_POSTGRESQL
def test_a_swap_from_the_console_page(
    stack: Stack, make_client: Callable[..., str], browser: Callable[[str | None], Browser]
) -> None:
    old = _commissioned(stack, make_client, "SW4")
    new = with_luhn_digit("898800000000000654")
    with unit_of_work() as session:
        client_id = clients.find(session, ClientRef("SW4")).id
    admin = browser(ADMIN)
    assert f"/clients/{client_id}/sims/{old}/swap" in admin.page(f"/clients/{client_id}/sims")
    admin.page(f"/clients/{client_id}/sims/{old}/swap")
    typo = admin.post(f"/clients/{client_id}/sims/{old}/swap", {"new_iccid": new[:-1]})
    assert typo.status_code == 422
    assert _device_ref("SW4") == old

    done = admin.post(f"/clients/{client_id}/sims/{old}/swap", {"new_iccid": new})

    assert done.status_code == 303
    assert "SIM swap done" in admin.page(f"/clients/{client_id}/sims")
    assert _device_ref("SW4") == new
    assert browser(OPERATOR_LOGIN).http.get(f"/clients/{client_id}/sims/{new}/swap").status_code == 403
