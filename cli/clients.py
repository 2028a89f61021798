"""``commissioner client ...``: add clients and devices, commission, decommission, read history."""

from __future__ import annotations

import json

import click

from centre import clients, validation
from centre.clients import ClientRef
from cli.context import client_ref, client_ref_options, operator, session
from pipeline import history
from pipeline.history import HistoryEntry


@click.group()
def client() -> None:
    """Client accounts."""


@client.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--area", type=click.IntRange(0, 2_147_483_647), default=1, show_default=True)
@click.option("--port", default="1", show_default=True)
@click.option("--template", "template_code", default=None, help="Template account code for event types.")
@click.option("--base", "base_code", default=None, help="Base account code, for an area linked to its base.")
@click.option("--is-template", is_flag=True, help="Create a template account instead of a client.")
def client_add(
    code: str,
    name: str,
    area: int,
    port: str,
    template_code: str | None,
    base_code: str | None,
    is_template: bool,
) -> None:
    """Add a client (commissioned at once if the system-wide setting says so)."""
    with session() as s:
        added = clients.add(
            s,
            code,
            name,
            operator(),
            area=area,
            port=port,
            template_code=template_code,
            base=ClientRef(base_code) if base_code else None,
            is_template=is_template,
        )
        state = " (commissioned)" if added.commissioned_at else ""
        click.echo(f"client {added.label} added{state}")


@client.group("device")
def device() -> None:
    """Add-on devices."""


@device.command("add")
@click.argument("code")
@click.option("--communicator-type", "communicator_type", required=True)
@click.option("--device-ref-no", required=True, help="For a Jasper communicator type: the SIM's ICCID.")
@client_ref_options
def device_add(
    code: str, communicator_type: str, device_ref_no: str, area: int | None, port: str | None
) -> None:
    """Add an add-on device to a client."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        added = clients.add_device(s, found, communicator_type, device_ref_no, operator())
        click.echo(f"device {added.device_ref_no} added to {found.label}")


@client.command("commission")
@click.argument("code")
@click.option("--memo", default="")
@client_ref_options
def commission(code: str, memo: str, area: int | None, port: str | None) -> None:
    """Commission a client (and its base and linked areas): logs 65516 and fires its tasks."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        logged = clients.commission(s, found, operator(), memo)
    click.echo(f"{found.label} commissioned ({len(logged)} account(s)); outcomes follow in its history")


@client.command("decommission")
@click.argument("code")
@click.option("--reason", required=True)
@click.option("--offline", is_flag=True, help="Take the client offline.")
@client_ref_options
def decommission(code: str, reason: str, offline: bool, area: int | None, port: str | None) -> None:
    """Decommission a client (and its base and linked areas): logs 65517 and fires its tasks."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        logged = clients.decommission(s, found, operator(), reason, offline=offline)
    click.echo(f"{found.label} decommissioned ({len(logged)} account(s)); outcomes follow in its history")


@client.command("history")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, oldest first.")
@client_ref_options
def client_history(code: str, as_json: bool, area: int | None, port: str | None) -> None:
    """The client's signal history, oldest first."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        entries = history.all_signals(s, found)
    if as_json:
        click.echo(json.dumps([e.as_json() for e in entries], indent=2))
        return
    for entry in entries:
        click.echo(format_entry(entry))


def format_entry(entry: HistoryEntry) -> str:
    """One history line as staff read it."""
    when = entry.time.strftime("%Y-%m-%d %H:%M:%S")
    outcome = f" [{entry.outcome}]" if entry.outcome else ""
    memo = f" - {entry.memo}" if entry.memo else ""
    who = f" ({entry.operator})" if entry.operator else ""
    text = f"{when}  {entry.type_no:>5}  {entry.description}{outcome}{memo}{who}  <{entry.source}>"
    return validation.printable(text)  # a memo written before it was checked must not forge lines
