"""``commissioner demo``: the whole flow on the embedded default, in one command.

It starts the simulator and a real worker, commissions a client with one SIM, waits until the SIM is
activated at the simulator and the outcome is in the client's history, decommissions it the same way,
and prints the history.
"""

from __future__ import annotations

import os
import secrets
import subprocess

import click
import httpx
from sqlalchemy import select

import migrations
from centre import clients, communicator_types, logins
from centre.clients import ClientRef
from centre.errors import NotFound
from centre.seed import seed
from centre.validation import with_luhn_digit
from cli.clients import format_entry
from cli.processes import free_port, start_simulator, start_worker, stop, wait_until
from config import get_config
from models import Signal
from models.db import unit_of_work
from pipeline import history

OPERATOR = "demo"
CLIENT = "DEMO001"
COMM_TYPE = "Demo Control Center"
USER = "demo"
ICCID = with_luhn_digit("898800000000000001")
WEB_LOGIN = "demo"


def run_demo(keep: bool = False) -> None:
    """Run the demo; raises on any failure so the command exits non-zero."""
    # Its carrier is the simulator on this machine, over plain http (carriers/addresses.py).
    os.environ["COMMISSIONER_ALLOW_INSECURE_CARRIERS"] = "true"
    get_config.cache_clear()
    migrations.upgrade()
    api_key = secrets.token_urlsafe(16)
    port = free_port()
    log_path = get_config().data_dir / "demo-worker.log"
    click.echo(f"Starting the Control Center simulator on port {port} and a worker (log: {log_path})...")
    simulator = start_simulator(port, USER, api_key)
    worker = start_worker(dict(os.environ), log_path=str(log_path))
    try:
        _prepare(f"http://127.0.0.1:{port}/rws/api/v1", api_key)
        sim = _SimView(port, api_key)
        _step("Commission", lambda: _commission(), sim, "ACTIVATED")
        _step("Decommission", lambda: _decommission(), sim, "DEACTIVATED")
        click.echo(f"\nHistory of {CLIENT}:")
        with unit_of_work() as session:
            for entry in history.signals(session, clients.find(session, ClientRef(CLIENT))):
                click.echo("  " + format_entry(entry))
        _web_login()
        if keep:
            click.echo(f"\nSimulator: http://127.0.0.1:{port}/rws/api/v1; press Ctrl-C to stop.")
            worker.wait()
    finally:
        _stop_all(worker, simulator)


def _prepare(server_address: str, api_key: str) -> None:
    with unit_of_work() as session:
        seed(session, OPERATOR)
        try:
            comm = communicator_types.get_by_name(session, COMM_TYPE)
            communicator_types.update(session, comm, OPERATOR, server_address=server_address, secret=api_key)
        except NotFound:
            communicator_types.add(session, COMM_TYPE, server_address, USER, api_key, OPERATOR)
        try:
            client = clients.find(session, ClientRef(CLIENT))
        except NotFound:
            client = clients.add(session, CLIENT, "Demo Client (12 High St)", OPERATOR)
        if not clients.devices(session, client):
            clients.add_device(session, client, COMM_TYPE, ICCID, OPERATOR)
    click.echo(f"Client {CLIENT} has SIM {ICCID} on communicator type {COMM_TYPE!r}.")


def _web_login() -> None:
    """A demo admin login with a new random password each run, and how to use it."""
    password = secrets.token_urlsafe(12)
    with unit_of_work() as session:
        found = [a for a in logins.list_all(session) if a.username == WEB_LOGIN]
        if found:
            logins.update(session, found[0], OPERATOR, new_password=password, active=True)
        else:
            logins.add(session, WEB_LOGIN, password, logins.ADMIN, OPERATOR)
    click.echo(
        "\nWeb app: run `commissioner web` (or `.venv/bin/commissioner web`), open http://127.0.0.1:8000/"
        f"\nand log in as {WEB_LOGIN!r} with password {password!r} (an admin; a new password each demo run)."
    )


def _commission() -> int:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(CLIENT))
        return clients.commission(session, client, OPERATOR, "demo")[0].id


def _decommission() -> int:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(CLIENT))
        return clients.decommission(session, client, OPERATOR, "demo: customer moved out", offline=True)[0].id


class _SimView:
    def __init__(self, port: int, api_key: str) -> None:
        self.url = f"http://127.0.0.1:{port}/rws/api/v1/devices/{ICCID}"
        self.auth = (USER, api_key)

    def status(self) -> str:
        return str(httpx.get(self.url, auth=self.auth, timeout=5).json()["status"])


def _step(name: str, press: object, sim: _SimView, wanted: str) -> None:
    assert callable(press)
    signal_id = press()
    click.echo(f"\n{name} pressed (signal {signal_id}); waiting for the worker...")
    wait_until(lambda: _outcome_after(signal_id) is not None, 60, f"the outcome of {name.lower()}")
    outcome = _outcome_after(signal_id)
    click.echo(f"  outcome: {outcome}")
    click.echo(f"  SIM {ICCID} at the carrier: {sim.status()} (wanted {wanted})")
    if sim.status() != wanted:
        raise RuntimeError(f"the SIM is not {wanted} after {name.lower()}")


def _outcome_after(signal_id: int) -> str | None:
    with unit_of_work() as session:
        found = session.scalar(
            select(Signal)
            .where(Signal.id > signal_id, Signal.outcome.is_not(None))
            .order_by(Signal.id)
            .limit(1)
        )
        return f"{found.outcome.value}: {found.memo}" if found and found.outcome else None


def _stop_all(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        stop(proc)
