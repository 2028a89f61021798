"""``commissioner sim swap CODE OLD_ICCID NEW_ICCID``: the SIM swap from the command line.

A command of the SIM console's ``sim`` group (one group for everything about a client's SIMs). The
command line acts as an admin, as the console's does.
"""

from __future__ import annotations

import click

from cli.context import client_ref, client_ref_options, operator
from cli.output import emit, json_option
from features.sim_console.cli import sim
from features.sim_swap import service


@sim.command("swap")
@click.argument("code")
@click.argument("old_iccid")
@click.argument("new_iccid")
@json_option
@client_ref_options
def sim_swap(
    code: str, old_iccid: str, new_iccid: str, as_json: bool, area: int | None, port: str | None
) -> None:
    """Replace the client's SIM OLD_ICCID by NEW_ICCID: the new one on and confirmed, then the old one
    off, then the device moved. Exits 1 when the carrier did not let it finish."""
    outcome = service.swap(client_ref(code, area, port), old_iccid, new_iccid, operator())
    data = {
        "done": outcome.done,
        "device_iccid": outcome.device_iccid,
        "old_status": outcome.old_status,
        "new_status": outcome.new_status,
        "message": outcome.message,
    }
    emit(as_json, data, [outcome.message])
    if not outcome.done:
        raise SystemExit(1)


# The command joins the console's group; nothing of its own to add to the command line.
commands: list[click.Command] = []
