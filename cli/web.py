"""``commissioner web``, ``commissioner user add`` and ``commissioner api-token add``."""

from __future__ import annotations

import sys

import click

from centre import api_tokens, logins
from cli.context import operator, session
from config import get_config


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 to listen on every interface.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
def web(host: str, port: int) -> None:
    """Serve the web app (operator and admin pages, JSON API under /api)."""
    import uvicorn

    click.echo(
        f"Commissioner web app on http://{host}:{port}/ (log in with an account from `user add`)", err=True
    )
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_config=None,  # keep Commissioner's one-line log format (configured by the root command)
        log_level=get_config().log_level.lower(),
        proxy_headers=True,
    )


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@click.group()
def user() -> None:
    """Login accounts of the web app."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(logins.ROLES), default=logins.OPERATOR, show_default=True)
def user_add(name: str, role: str) -> None:
    """Add a login account; the password is read from standard input (never from the command line)."""
    password = _read_password()
    with session() as s:
        account = logins.add(s, name, password, role, operator())
        click.echo(f"login account {account.username} ({account.role}) added")


@click.group("api-token")
def api_token() -> None:
    """API tokens for other systems (JSON API)."""


@api_token.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(logins.ROLES), default=logins.OPERATOR, show_default=True)
def api_token_add(name: str, role: str) -> None:
    """Add an API token and print it: it is shown this once and never stored in clear."""
    with session() as s:
        row, token = api_tokens.add(s, name, role, operator())
        click.echo(
            f"API token {row.name} ({row.role}) added; use it as 'Authorization: Bearer <token>':", err=True
        )
    click.echo(token)
