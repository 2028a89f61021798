"""``commissioner sim ...``: the SIM console from the command line.

Reads are live from the carrier; changes are logged in the client's history and carried out by the
workers, like commissioning. With --wait the command waits for the outcome.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from cli.context import client_ref, client_ref_options, fail, operator, session
from cli.processes import wait_until
from models import ACTIVE_STATUSES, TaskExecution
from services import clients, sims
from services.task_types.jasper_console import (
    SEND_SMS,
    SET_RATE_PLAN,
    SET_STATUS,
    status_value,
    transition_problem,
)
from worker import console
from worker.carriers.pool import Account, load_account

iccid_option = click.option("--iccid", default=None, help="Which SIM, when the client has several.")


@click.group("sim")
def sim() -> None:
    """The SIM console: see and manage the SIMs of a client."""


def _sim_and_account(
    code: str, area: int | None, port: str | None, iccid: str | None
) -> tuple[sims.Sim, Account]:
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        chosen = sims.find(s, found, iccid)
        account = load_account(s, chosen.communicator_type_id)
    if account is None:
        fail(f"the communicator type of SIM {chosen.iccid} no longer exists")
    assert account is not None
    return chosen, account


@sim.command("list")
@click.argument("code")
@client_ref_options
def sim_list(code: str, area: int | None, port: str | None) -> None:
    """The client's SIMs and their communicator types."""
    with session() as s:
        for item in sims.of_client(s, clients.find(s, client_ref(code, area, port))):
            click.echo(f"{item.iccid}  {item.communicator_type}")


@sim.command("overview")
@click.argument("code")
@iccid_option
@client_ref_options
def sim_overview(code: str, iccid: str | None, area: int | None, port: str | None) -> None:
    """Status, rate plan, communication plan and dates, read live from the carrier."""
    chosen, account = _sim_and_account(code, area, port, iccid)
    view = console.overview(account, chosen.iccid)
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
    for label, value in lines.items():
        click.echo(f"{label + ':':<24}{'-' if value is None else value}")


@sim.command("usage")
@click.argument("code")
@iccid_option
@click.option("--cycle-start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="YYYY-MM-DD")
@client_ref_options
def sim_usage(code: str, iccid: str | None, cycle_start: Any, area: int | None, port: str | None) -> None:
    """Data, SMS and voice used in a billing cycle (default: the current one)."""
    chosen, account = _sim_and_account(code, area, port, iccid)
    start: date | None = cycle_start.date() if cycle_start else None
    used = console.usage(account, chosen.iccid, start)
    click.echo(f"Cycle start:  {start or 'current cycle'}")
    click.echo(f"Data:         {'-' if used.data_bytes is None else f'{used.data_bytes} bytes'}")
    click.echo(f"SMS:          {'-' if used.sms_count is None else used.sms_count}")
    click.echo(f"Voice:        {'-' if used.voice_seconds is None else f'{used.voice_seconds} s'}")
    click.echo(f"Sessions:     {'-' if used.session_count is None else used.session_count}")


@sim.command("rate-plans")
@click.argument("code")
@iccid_option
@client_ref_options
def sim_rate_plans(code: str, iccid: str | None, area: int | None, port: str | None) -> None:
    """The rate plans the carrier offers for the client's SIM's account."""
    _chosen, account = _sim_and_account(code, area, port, iccid)
    for plan in console.rate_plans(account):
        click.echo(plan)


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
    wanted = status_value(status)
    chosen, account = _sim_and_account(code, area, port, iccid)
    problem = transition_problem(console.device(account, chosen.iccid).status, wanted)
    if problem:
        fail(f"not sent: {problem}")
    _request(code, area, port, chosen, {"action": SET_STATUS, "status": wanted}, wait, confirmed=yes)


@sim.command("sms")
@click.argument("code")
@click.argument("text")
@iccid_option
@wait_option
@client_ref_options
def sim_sms(code: str, text: str, iccid: str | None, wait: bool, area: int | None, port: str | None) -> None:
    """Send an SMS to the SIM (e.g. a panel wake-up message)."""
    chosen, _account = _sim_and_account(code, area, port, iccid)
    _request(code, area, port, chosen, {"action": SEND_SMS, "text": text}, wait)


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
    chosen, account = _sim_and_account(code, area, port, iccid)
    offered = console.rate_plans(account)
    if plan not in offered:
        fail(f"the carrier offers no rate plan {plan!r}; it offers: {', '.join(offered)}")
    _request(code, area, port, chosen, {"action": SET_RATE_PLAN, "rate_plan": plan}, wait)


def _request(
    code: str,
    area: int | None,
    port: str | None,
    chosen: sims.Sim,
    options: dict[str, Any],
    wait: bool,
    confirmed: bool = False,
) -> None:
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        # The command line is for whoever holds the database and its keys: an admin.
        execution = sims.request(s, found, chosen, options, operator(), admin=True, confirmed=confirmed)
        execution_id = execution.id
    click.echo(f"requested (execution {execution_id}); the outcome goes to the client's history")
    if wait:
        status, error = _wait_for(execution_id)
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
