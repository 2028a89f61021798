"""``commissioner reconcile``: check now that the carrier agrees with us, or list current drift."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from cli.context import session
from cli.output import emit, json_option
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
@json_option
def reconcile_command(report: bool, since: datetime | None, as_json: bool) -> None:
    """Compare each SIM's status at the carrier with what it should be; log and list the drift."""
    if not report:
        start = since.replace(tzinfo=UTC) if since else None
        for communicator_type_id in accounts_to_read():
            summary = run_account(communicator_type_id, start).text()
            if not as_json:
                click.echo(summary)
    with session() as s:
        drift = [
            {
                "since": item.detected_at,
                "client_code": client.label,
                "iccid": item.iccid,
                "carrier_status": item.carrier_status,
                "expected_status": item.expected_status,
            }
            for item, client in judge.open_drift(s)
        ]
    lines = [
        f"{row['since']:%Y-%m-%d %H:%M:%S}  {row['client_code']}  SIM {row['iccid']}: carrier says "
        f"{row['carrier_status']}, expected {row['expected_status']}"
        for row in drift
    ]
    emit(as_json, drift, lines or ["no SIM is out of line"])


commands = [reconcile_command]
