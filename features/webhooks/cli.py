"""``commissioner webhook set|list|remove``: the endpoints the webhook task POSTs signals to."""

from __future__ import annotations

import sys

import click

from cli.context import operator, session
from cli.output import emit, json_option, table
from features.webhooks import endpoints


@click.group("webhook")
def webhook() -> None:
    """Webhook endpoints (assign a task of type webhook with option endpoint=NAME in a response plan)."""


@webhook.command("set")
@click.argument("name")
@click.argument("url")
def webhook_set(name: str, url: str) -> None:
    """Add or replace an endpoint; its HMAC secret (16 to 512 characters) is read from standard input."""
    secret = _read_secret()
    with session() as s:
        row = endpoints.set_endpoint(s, name, url, secret, operator())
        click.echo(f"webhook endpoint {row.name} posts to {row.url}")


def _read_secret() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Secret", hide_input=True))
    return sys.stdin.readline().rstrip("\r\n")


@webhook.command("list")
@json_option
def webhook_list(as_json: bool) -> None:
    """Every endpoint (never its secret)."""
    with session() as s:
        rows = [{"name": r.name, "url": r.url, "updated_at": r.updated_at} for r in endpoints.list_all(s)]
    emit(as_json, rows, table(rows, ["name", "url", "updated_at"]))


@webhook.command("remove")
@click.argument("name")
def webhook_remove(name: str) -> None:
    """Remove an endpoint (executions for it then fail, visibly)."""
    with session() as s:
        endpoints.remove(s, name, operator())
    click.echo(f"webhook endpoint {name} removed")


commands = [webhook]
