"""``commissioner sim ...``: the SIM console from the command line.

The same use cases as the pages and the API (``service.py``): reads are live from the carrier; changes
are logged in the client's history and carried out by the workers, like commissioning. The command line
is for whoever holds the database and its keys: it acts as an admin. With --wait a change waits for its
outcome.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from centre import clients, sims
from cli.context import client_ref, client_ref_options, operator, session
from cli.output import emit, json_option
from cli.processes import wait_until
from features.sim_console import service as sim_console
from models import ACTIVE_STATUSES, TaskExecution

iccid_option = click.option("--iccid", default=None, help="Which SIM, when the client has several.")


@click.group("sim")
def sim() -> None:
    """The SIM console: see and manage the SIMs of a client."""


def _locate(code: str, area: int | None, port: str | None, iccid: str | None) -> sim_console.Located:
    return sim_console.locate(lambda s: clients.find(s, client_ref(code, area, port)), iccid)


@sim.command("list")
@click.argument("code")
@json_option
@client_ref_options
def sim_list(code: str, as_json: bool, area: int | None, port: str | None) -> None:
    """The client's SIMs and their communicator types."""
    with session() as s:
        found = sims.of_client(s, clients.find(s, client_ref(code, area, port)))
    rows = [{"iccid": sim.iccid, "communicator_type": sim.communicator_type} for sim in found]
    emit(as_json, rows, [f"{row['iccid']}  {row['communicator_type']}" for row in rows])


@sim.command("overview")
@click.argument("code")
@iccid_option
@json_option
@client_ref_options
def sim_overview(code: str, iccid: str | None, as_json: bool, area: int | None, port: str | None) -> None:
    """Status, rate plan, communication plan and dates, read live from the carrier."""
    view = sim_console.overview(_locate(code, area, port, iccid))
    d = view.device
    lines = {
        "ICCID": d.iccid,
        "Status": d.status,
        "Rate plan": d.rate_plan,
        "Communication plan": d.communication_plan,
        "Date added": d.date_added,
        "Date modified": d.date_updated,
        "Date activated": d.date_activated,
        "Overage limit reached": view.overage_limit_reached,
        "Overage limit override": view.overage_limit_override,
        "Read at": view.read_at,
    }
    data = {label.lower().replace(" ", "_"): value for label, value in lines.items()}
    emit(
        as_json,
        data,
        [f"{label + ':':<24}{'-' if value is None else value}" for label, value in lines.items()],
    )


@sim.command("usage")
@click.argument("code")
@iccid_option
@click.option("--cycle-start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD")
@json_option
@client_ref_options
def sim_usage(
    code: str, iccid: str | None, cycle_start: Any, as_json: bool, area: int | None, port: str | None
) -> None:
    """Data, SMS and voice used in a billing cycle (default: the current one)."""
    start: date | None = cycle_start.date() if cycle_start else None
    used = sim_console.usage(_locate(code, area, port, iccid), start)
    data = {
        "cycle_start": start,
        "data_bytes": used.data_bytes,
        "sms_count": used.sms_count,
        "voice_seconds": used.voice_seconds,
        "session_count": used.session_count,
    }
    lines = [
        f"Cycle start:  {start or 'current cycle'}",
        f"Data:         {'-' if used.data_bytes is None else f'{used.data_bytes} bytes'}",
        f"SMS:          {'-' if used.sms_count is None else used.sms_count}",
        f"Voice:        {'-' if used.voice_seconds is None else f'{used.voice_seconds} s'}",
        f"Sessions:     {'-' if used.session_count is None else used.session_count}",
    ]
    emit(as_json, data, lines)


@sim.command("rate-plans")
@click.argument("code")
@iccid_option
@json_option
@client_ref_options
def sim_rate_plans(code: str, iccid: str | None, as_json: bool, area: int | None, port: str | None) -> None:
    """The rate plans the carrier offers for the client's SIM's account."""
    plans = sim_console.rate_plans(_locate(code, area, port, iccid))
    emit(as_json, plans, plans)


wait_option = click.option("--wait/--no-wait", default=True, help="Wait for the carrier's outcome.")


@sim.command("set-status")
@click.argument("code")
@click.argument("status")
@iccid_option
@click.option("--yes", is_flag=True, help="Confirm retiring the SIM.")
@wait_option
@client_ref_options
def sim_set_status(
    code: str, status: str, iccid: str | None, yes: bool, wait: bool, area: int | None, port: str | None
) -> None:
    """Change the SIM's status: INVENTORY, ACTIVATION_READY, ACTIVATED, DEACTIVATED or RETIRED."""
    located = _locate(code, area, port, iccid)
    requested = sim_console.request_status(located, status, operator(), admin=True, confirmed=yes)
    _report(requested, wait)


@sim.command("sms")
@click.argument("code")
@click.argument("text")
@iccid_option
@wait_option
@client_ref_options
def sim_sms(code: str, text: str, iccid: str | None, wait: bool, area: int | None, port: str | None) -> None:
    """Send an SMS to the SIM (e.g. a panel wake-up message)."""
    located = _locate(code, area, port, iccid)
    _report(sim_console.request_sms(located, text, operator(), admin=True), wait)


@sim.command("rate-plan")
@click.argument("code")
@click.argument("plan")
@iccid_option
@wait_option
@client_ref_options
def sim_rate_plan(
    code: str, plan: str, iccid: str | None, wait: bool, area: int | None, port: str | None
) -> None:
    """Change the SIM's rate plan to one the carrier offers."""
    located = _locate(code, area, port, iccid)
    _report(sim_console.request_rate_plan(located, plan, operator(), admin=True), wait)


def _report(requested: sim_console.Requested, wait: bool) -> None:
    click.echo(f"requested (execution {requested.execution_id}); the outcome goes to the client's history")
    if wait:
        status, error = _wait_for(requested.execution_id)
        click.echo(f"outcome: {status}" + (f": {error}" if error else ""))
        if status != "succeeded":
            raise SystemExit(1)


def _wait_for(execution_id: int, timeout_s: float = 120) -> tuple[str, str | None]:
    def done() -> bool:
        return _state(execution_id)[0] not in {s.value for s in ACTIVE_STATUSES}

    wait_until(done, timeout_s, f"execution {execution_id}", interval_s=0.2)
    return _state(execution_id)


def _state(execution_id: int) -> tuple[str, str | None]:
    with session() as s:
        execution = s.get(TaskExecution, execution_id)
        assert execution is not None
        return execution.status.value, execution.last_error


commands = [sim]
