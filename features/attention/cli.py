"""``commissioner attention``: what needs a person now, as on the attention page."""

from __future__ import annotations

import click

from cli.context import session
from cli.output import emit, json_option
from features.attention import service


@click.command("attention")
@click.option("--kind", type=click.Choice(service.KINDS), default=None, help="Only this kind.")
@click.option("--search", default="", help="Text in the client, ICCID or message.")
@json_option
def attention_command(kind: str | None, search: str, as_json: bool) -> None:
    """Failed tasks, changes not yet confirmed and SIMs out of line, across clients, newest first."""
    with session() as s:
        found = service.items(s, kind=kind, text=search)
    rows = [
        {
            "kind": item.kind,
            "since": item.since,
            "client_code": item.client_code,
            "iccid": item.iccid,
            "message": item.message,
            "execution_id": item.execution_id,
        }
        for item in found
    ]
    lines = [
        f"{row['since']:%Y-%m-%d %H:%M:%S}  {row['kind']:<11}  {row['client_code']}  {row['iccid'] or '-'}  "
        f"{row['message']}"
        + (f"  (retry: commissioner execution retry {row['execution_id']})" if row["execution_id"] else "")
        for row in rows
    ]
    emit(as_json, rows, lines or ["nothing needs attention"])


commands = [attention_command]
