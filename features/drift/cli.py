"""``commissioner reconcile``: check now that the carrier agrees with us, or list current drift."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from cli.context import session
from features.drift import judge
from features.drift.read import accounts_to_read, run_account


@click.command("reconcile")
@click.option("--report", is_flag=True, help="Only list the SIMs currently out of line.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Read changes since this UTC time instead of since the last run.",
)
def reconcile_command(report: bool, since: datetime | None) -> None:
    """Compare each SIM's status at the carrier with what it should be; log and list the drift."""
    if not report:
        start = since.replace(tzinfo=UTC) if since else None
        for communicator_type_id in accounts_to_read():
            click.echo(run_account(communicator_type_id, start).text())
    with session() as s:
        drift = judge.open_drift(s)
        if not drift:
            click.echo("no SIM is out of line")
        for item, client in drift:
            click.echo(
                f"{item.detected_at:%Y-%m-%d %H:%M:%S}  {client.label}  SIM {item.iccid}: carrier says "
                f"{item.carrier_status}, expected {item.expected_status}"
            )


commands = [reconcile_command]
