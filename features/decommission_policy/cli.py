"""``commissioner decommission-policy`` and ``commissioner terminations``."""

from __future__ import annotations

import click

from centre import communicator_types
from cli.context import operator, session
from cli.output import emit, json_option
from features.decommission_policy import service


@click.command("decommission-policy")
@click.argument("communicator_type")
@click.option(
    "--terminate-after-days", type=int, default=None, help="Terminate SIMs N days after decommissioning."
)
@click.option("--never", is_flag=True, help="Never terminate: decommissioning only stops billing.")
@click.option("--yes", is_flag=True, help="Confirm: terminating a SIM cannot be undone.")
def policy_command(communicator_type: str, terminate_after_days: int | None, never: bool, yes: bool) -> None:
    """Show or set a communicator type's decommission policy (admin: the command line is)."""
    with session() as s:
        comm = communicator_types.get_by_name(s, communicator_type)
        if never or terminate_after_days is not None:
            if never and terminate_after_days is not None:
                raise click.UsageError("give --terminate-after-days or --never, not both")
            days = None if never else terminate_after_days
            service.set_policy(s, comm, days, operator(), admin=True, confirmed=yes)
        click.echo(f"{comm.name}: {service.policy_text(comm)}")


@click.command("terminations")
@json_option
def terminations_command(as_json: bool) -> None:
    """The SIM terminations the decommission policies will ask for; a re-commission cancels one."""
    with session() as s:
        rows = [
            {
                "due_at": item.due_at,
                "client_code": item.client_code,
                "iccid": item.iccid,
                "communicator_type": item.communicator_type,
                "status": item.terminal_status,
                "decommissioned_at": item.decommissioned_at,
            }
            for item in service.pending(s)
        ]
    lines = [
        f"{row['due_at']:%Y-%m-%d %H:%M}  {row['client_code']}  SIM {row['iccid']} -> {row['status']} "
        f"({row['communicator_type']})"
        for row in rows
    ]
    emit(as_json, rows, lines or ["no termination is pending"])


commands = [policy_command, terminations_command]
