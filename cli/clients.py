"""``commissioner client ...``: add, list, show, rename and retire clients; add, list, edit and remove
their devices; commission, decommission, read history."""

from __future__ import annotations

import json

import click

from centre import clients, corrections, validation
from centre.clients import ClientRef
from cli.context import Id, client_ref, client_ref_options, operator, session
from cli.output import emit, json_option, table
from models import AddonDevice, Client, CommunicatorType
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
    click.echo(f"{found.label} commissioned{_family(len(logged))}; the outcome follows in its history")


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
    click.echo(f"{found.label} decommissioned{_family(len(logged))}; the outcome follows in its history")


def _family(accounts: int) -> str:
    others = accounts - 1
    return f" with its {others} linked account{'s' if others != 1 else ''}" if others else ""


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


def client_json(client: Client) -> dict[str, object]:
    return {
        "id": client.id,
        "code": client.client_code,
        "area": client.area,
        "port": client.port,
        "name": client.name,
        "commissioned_at": client.commissioned_at,
        "decommissioned_at": client.decommissioned_at,
        "decommission_reason": client.decommission_reason,
        "offline": client.offline,
        "retired_at": client.retired_at,
    }


def _device_json(device: AddonDevice, comm: CommunicatorType) -> dict[str, object]:
    return {
        "id": device.id,
        "communicator_type": comm.name,
        "kind": comm.kind,
        "device_ref_no": device.device_ref_no,
    }


@client.command("list")
@click.option("--search", default="", help="Text in the code or name.")
@json_option
def client_list(search: str, as_json: bool) -> None:
    """Clients whose code or name holds the text (retired ones are not listed)."""
    with session() as s:
        found = [client_json(c) for c in clients.search(s, search, limit=1000)]
    emit(
        as_json, found, table(found, ["code", "area", "port", "name", "commissioned_at", "decommissioned_at"])
    )


@client.command("show")
@click.argument("code")
@json_option
@client_ref_options
def client_show(code: str, as_json: bool, area: int | None, port: str | None) -> None:
    """One client, with its add-on devices."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        devices = [_device_json(d, c) for d, c in clients.devices(s, found)]
        data = client_json(found)
    lines = [f"{key}: {'-' if value is None else value}" for key, value in data.items()]
    lines += [f"device {d['id']}: {d['communicator_type']} {d['device_ref_no'] or '(none)'}" for d in devices]
    emit(as_json, data | {"devices": devices}, lines)


@client.command("rename")
@click.argument("code")
@click.argument("name")
@client_ref_options
def client_rename(code: str, name: str, area: int | None, port: str | None) -> None:
    """Give a client another name (its code, area and port stay)."""
    with session() as s:
        found = corrections.rename(s, clients.find(s, client_ref(code, area, port)), name, operator())
        click.echo(f"{found.label} is now named {found.name!r}")


@client.command("retire")
@click.argument("code")
@click.option("--restore", is_flag=True, help="Bring a retired client back instead.")
@client_ref_options
def client_retire(code: str, restore: bool, area: int | None, port: str | None) -> None:
    """Retire a decommissioned client: kept with its history, hidden from lists, read-only."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        (corrections.restore if restore else corrections.retire)(s, found, operator())
        click.echo(f"{found.label} {'restored' if restore else 'retired'}")


@device.command("list")
@click.argument("code")
@json_option
@client_ref_options
def device_list(code: str, as_json: bool, area: int | None, port: str | None) -> None:
    """The client's add-on devices."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        rows = [_device_json(d, c) for d, c in clients.devices(s, found)]
    emit(as_json, rows, table(rows, ["id", "communicator_type", "kind", "device_ref_no"]))


@device.command("edit")
@click.argument("code")
@click.argument("device_id", type=Id)
@click.option("--device-ref-no", required=True, help="The new Device Ref No (for a SIM: its ICCID).")
@client_ref_options
def device_edit(code: str, device_id: int, device_ref_no: str, area: int | None, port: str | None) -> None:
    """Change an add-on device's Device Ref No (to move a commissioned client to a new SIM, use
    ``commissioner sim swap``: it switches the new SIM on and the old one off)."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        edited, old = corrections.edit_device(s, found, device_id, operator(), device_ref_no=device_ref_no)
        click.echo(f"device {device_id} of {found.label}: {old or '(none)'} -> {edited.device_ref_no}")


@device.command("remove")
@click.argument("code")
@click.argument("device_id", type=Id)
@client_ref_options
def device_remove(code: str, device_id: int, area: int | None, port: str | None) -> None:
    """Remove an add-on device (its SIM's history stays)."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        corrections.remove_device(s, found, device_id, operator())
        click.echo(f"device {device_id} removed from {found.label}")
