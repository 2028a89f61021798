"""``commissioner receiver``, ``commissioner client receiver-account ...``, ``commissioner panel-map ...``
and ``commissioner panels silent``."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys

import click

from centre import clients
from cli.clients import client as client_group
from cli.context import client_ref, client_ref_options, operator, session
from cli.output import emit, json_option, table
from features.receiver import accounts, mapping, server, verify

DEFAULT_PORT = 7100


@click.command("receiver")
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 to listen on every interface.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Database threads.")
@click.option(
    "--writers",
    type=click.IntRange(1, 64),
    default=server.WRITERS,
    show_default=True,
    help="Batches of events stored at once (at most --threads).",
)
def receiver_command(host: str, port: int, threads: int, writers: int) -> None:
    """Receive SIA DC-09 (SIA-DCS, ADM-CID, NULL; AES or not) over TCP and UDP, and log each event on
    its client through the pipeline; a message is acknowledged only once it is stored."""
    if writers > threads:
        raise click.BadParameter(f"{writers} writers need as many database threads (--threads {threads})")
    asyncio.run(_run(host, port, threads, writers))


async def _run(host: str, port: int, threads: int, writers: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    try:
        await server.serve(host, port, stop, threads, writers)
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        sys.exit(1)


@client_group.group("receiver-account")
def receiver_account() -> None:
    """The account number a client's panel sends over SIA DC-09."""


@receiver_account.command("set")
@click.argument("code")
@click.argument("account")
@click.option(
    "--receiver", "receiver_no", type=int, default=None, help="Receiver number the panel sends (R)."
)
@click.option("--line", "line_no", type=int, default=None, help="Line number the panel sends (L).")
@click.option("--encrypted", is_flag=True, help="Read the AES key (16, 24 or 32 hex characters) from stdin.")
@click.option("--test-interval", type=int, default=None, help="Expect a test report every N minutes.")
@client_ref_options
def receiver_account_set(
    code: str,
    account: str,
    receiver_no: int | None,
    line_no: int | None,
    encrypted: bool,
    test_interval: int | None,
    area: int | None,
    port: str | None,
) -> None:
    """Give a client its receiver account (replacing the one it had)."""
    key = _read_key() if encrypted else None
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        row = accounts.set_account(
            s,
            found,
            account,
            operator(),
            receiver_no=receiver_no,
            line_no=line_no,
            key=key,
            test_interval_min=test_interval,
        )
        state = "encrypted" if key is not None else "unencrypted"
        click.echo(f"{found.label} reports as account {row.account} ({state})")


def _read_key() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("AES key", hide_input=True))
    return sys.stdin.readline().rstrip("\r\n")


@receiver_account.command("show")
@click.argument("code")
@client_ref_options
@json_option
def receiver_account_show(code: str, area: int | None, port: str | None, as_json: bool) -> None:
    """The client's receiver account (never its key)."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        row = accounts.of(s, found)
        data = dataclasses.asdict(accounts.view(found, row)) if row else None
    lines = [f"{k}: {v}" for k, v in data.items()] if data else [f"{found.label} has no receiver account"]
    emit(as_json, data, lines)


@receiver_account.command("remove")
@click.argument("code")
@client_ref_options
def receiver_account_remove(code: str, area: int | None, port: str | None) -> None:
    """Remove the client's receiver account: its panel's messages get NAK from then on."""
    with session() as s:
        found = clients.find(s, client_ref(code, area, port))
        accounts.remove_account(s, found, operator())
    click.echo(f"{found.label} has no receiver account any more")


@click.group("panel-map")
def panel_map() -> None:
    """How panel events (SIA codes, Contact ID qualifier+event) become signals."""


@panel_map.command("list")
@json_option
def panel_map_list(as_json: bool) -> None:
    """The map (seeded with the common codes when the receiver first starts, by `seed`, or by the
    first `set` or `remove`)."""
    with session() as s:
        rows = [
            {
                "protocol": r.protocol,
                "code": r.code,
                "type_no": r.type_no,
                "zone": r.zone,
                "test_report": r.test_report,
                "description": r.description,
            }
            for r in mapping.list_all(s)
        ]
    emit(as_json, rows, table(rows, ["protocol", "code", "type_no", "zone", "test_report", "description"]))


@panel_map.command("seed")
def panel_map_seed() -> None:
    """Fill an empty map with the common codes."""
    with session() as s:
        added = mapping.ensure_defaults(s)
    click.echo(f"{added} codes added" if added else "the map is not empty: nothing added")


@panel_map.command("set")
@click.argument("protocol", type=click.Choice(mapping.PROTOCOLS))
@click.argument("code")
@click.argument("type_no", type=int)
@click.option("--zone", type=int, default=None, help="A fixed zone (default: the message's own).")
@click.option("--description", default="")
@click.option("--test-report", is_flag=True, help="This event resets the client's test timer.")
def panel_map_set(
    protocol: str, code: str, type_no: int, zone: int | None, description: str, test_report: bool
) -> None:
    """Map a SIA code (sia BA) or a Contact ID qualifier+event (cid 1130) to a type number."""
    with session() as s:
        row = mapping.set_code(
            s,
            protocol,
            code,
            type_no,
            operator(),
            zone=zone,
            description=description,
            test_report=test_report,
        )
        click.echo(f"{row.protocol} {row.code} -> type {row.type_no}")


@panel_map.command("remove")
@click.argument("protocol", type=click.Choice(mapping.PROTOCOLS))
@click.argument("code")
def panel_map_remove(protocol: str, code: str) -> None:
    """Unmap a code (its events are then logged as type 0, with the code in the memo)."""
    with session() as s:
        mapping.remove_code(s, protocol, code, operator())
    click.echo(f"{protocol} {code} unmapped")


@click.group("panels")
def panels() -> None:
    """Panels as the receiver hears them."""


@panels.command("silent")
@json_option
def panels_silent(as_json: bool) -> None:
    """Panels silent since their commissioning (reported as 65528), newest first."""
    with session() as s:
        rows = [dataclasses.asdict(p) for p in verify.silent_panels(s)]
    lines = [
        f"{r['commissioned_at']:%Y-%m-%d %H:%M:%S}  {r['client_code']}  account {r['account']}" for r in rows
    ]
    emit(as_json, rows, lines or ["no silent panels"])


@panels.command("check")
def panels_check() -> None:
    """Run the verification sweep now (beat runs it every minute): silent panels, missed tests."""
    logged = verify.sweep()
    click.echo(f"{logged} signals logged")


commands = [receiver_command, panel_map, panels]
