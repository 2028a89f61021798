"""``commissioner communicator-type list | show | update | remove``: carrier accounts after they are added
(``add`` is in cli/main.py). No command ever prints a stored secret; a new one is read from standard input."""

from __future__ import annotations

import sys
from typing import Any

import click

from centre import communicator_types, corrections
from cli.context import operator, session
from cli.output import emit, json_option, table
from models import CommunicatorType

_COLUMNS = ["id", "name", "kind", "server_address", "user_name", "calls_per_second"]


def _row(comm: CommunicatorType) -> dict[str, Any]:
    return {column: getattr(comm, column) for column in _COLUMNS}


@click.command("list")
@json_option
def list_command(as_json: bool) -> None:
    """Every communicator type (never its credentials)."""
    with session() as s:
        rows = [_row(c) for c in communicator_types.list_all(s)]
    emit(as_json, rows, table(rows, _COLUMNS))


@click.command("show")
@click.argument("name")
@json_option
def show_command(name: str, as_json: bool) -> None:
    """One communicator type (never its credentials)."""
    with session() as s:
        row = _row(communicator_types.get_by_name(s, name))
    emit(as_json, row, [f"{column}: {row[column]}" for column in _COLUMNS])


@click.command("update")
@click.argument("name")
@click.option("--server-address", default=None, help="A new API base address (needs --new-key too).")
@click.option("--user-name", default=None, help="A new user name (needs --new-key too).")
@click.option("--calls-per-second", type=float, default=None, help="The carrier account's limit.")
@click.option(
    "--new-key",
    is_flag=True,
    help="Read new secrets from standard input, one a line: the API key (jasper-rest), or the password "
    "then the licence key (jasper-soap).",
)
def update_command(
    name: str,
    server_address: str | None,
    user_name: str | None,
    calls_per_second: float | None,
    new_key: bool,
) -> None:
    """Change a communicator type. A stored key is bound to its address and user name: changing either
    needs the key again (--new-key), so nobody can have it sent to another host."""
    with session() as s:
        comm = communicator_types.get_by_name(s, name)
        kind = comm.kind
    fields = communicator_types.secret_fields(kind) if new_key else ()
    given = {field.name: read_secret(field.label[:1].upper() + field.label[1:]) for field in fields}
    with session() as s:
        comm = communicator_types.update(
            s,
            communicator_types.get_by_name(s, name),
            operator(),
            server_address=server_address,
            user_name=user_name,
            secret=given or None,
            calls_per_second=calls_per_second,
        )
        click.echo(f"communicator type {comm.name} saved")


@click.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_command(name: str, yes: bool) -> None:
    """Remove a communicator type that no add-on device uses (its stored credentials go with it)."""
    if not yes:
        click.confirm(f"Remove communicator type {name}? This cannot be undone", abort=True)
    with session() as s:
        corrections.remove_communicator_type(s, communicator_types.get_by_name(s, name), operator())
    click.echo(f"communicator type {name} removed")


def read_secret(what: str) -> str:
    if sys.stdin.isatty():
        return str(click.prompt(what, hide_input=True))
    return sys.stdin.readline().rstrip("\r\n")


COMMANDS = (list_command, show_command, update_command, remove_command)
