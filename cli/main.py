"""``commissioner``: set up the database, configure, commission clients, run the simulator or the demo."""

from __future__ import annotations

import click

import features
import migrations
from carriers import registry
from centre import clients, communicator_types, system_settings
from centre.seed import seed as seed_jasper
from cli import clients as client_commands
from cli import communicator_types as communicator_type_commands
from cli import web as web_commands
from cli.context import (
    CommissionerGroup,
    Id,
    client_ref,
    client_ref_options,
    default_operator,
    operator,
    session,
)
from cli.output import emit, json_option
from config import get_config
from config.logs import configure_logging
from features.receiver import accounts as receiver_accounts
from features.sim_console import service as sim_console
from features.webhooks import endpoints as webhook_endpoints
from models import SignalSource
from pipeline import signals


@click.group(cls=CommissionerGroup)
@click.option("--operator", default=None, help=f"Who is acting, for the logs (default {default_operator()}).")
def cli(operator: str | None) -> None:
    """Commissioner: switch alarm-panel SIMs on and off as clients are commissioned."""
    configure_logging(get_config().log_level)
    import worker.celery  # noqa: F401 - hands the Celery app to the pipeline's outbox


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest version."""
    migrations.upgrade()
    click.echo("database is up to date")


@db.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    migrations.check()
    click.echo("models and migrations agree")


@cli.command()
def seed() -> None:
    """Create the Jasper setup (System Events template, plans, Jasper user and task); idempotent."""
    with session() as s:
        seed_jasper(s, operator())
    click.echo("Jasper setup is in place")


@cli.group("communicator-type")
def communicator_type() -> None:
    """Carrier accounts."""


@communicator_type.command("add")
@click.argument("name")
@click.option(
    "--server-address",
    required=True,
    help="API base: https://restapi1.jasper.com/rws/api/v1 (REST), "
    "https://api.jasperwireless.com/ws/service (SOAP), https://cdn.emnify.net/api/v1 (emnify), "
    "https://supersim.twilio.com/v1 or https://supersim.api.korewireless.com/v1 (Super SIM)",
)
@click.option(
    "--user-name",
    default="",
    help="The API user (supersim: the Account SID; supersim-oauth2: the client id; emnify: none).",
)
@click.option(
    "--kind",
    default=communicator_types.DEFAULT_KIND,
    show_default=True,
    help=f"The carrier platform: {', '.join(registry.kinds())}.",
)
@click.option(
    "--calls-per-second",
    type=float,
    default=None,
    help="The carrier account's limit (default: the platform's published limit, else 1).",
)
def communicator_type_add(
    name: str, server_address: str, user_name: str, kind: str, calls_per_second: float | None
) -> None:
    """Add a communicator type; its secrets are read from standard input, one a line (never from the
    command line): the API key (jasper-rest), the password then the licence key (jasper-soap), the
    application token (emnify), the auth token (supersim) or the OAuth2 client secret (supersim-oauth2:
    Super SIM on KORE's host with client credentials, the client id as user name)."""
    fields = communicator_types.secret_fields(kind)
    given = {
        field.name: communicator_type_commands.read_secret(field.label[:1].upper() + field.label[1:])
        for field in fields
    }
    with session() as s:
        comm = communicator_types.add(
            s, name, server_address, user_name, given, operator(), kind, calls_per_second
        )
        click.echo(f"communicator type {comm.name} added")


for comm_command in communicator_type_commands.COMMANDS:  # list, show, update, remove
    communicator_type.add_command(comm_command)


@cli.command("signal")
@click.argument("code")
@click.argument("type_no", type=int)
@click.option("--zone", type=int, default=0, help="Zone or user number.")
@click.option("--memo", default="")
@client_ref_options
def signal(code: str, type_no: int, zone: int, memo: str, area: int | None, port: str | None) -> None:
    """Log any signal on a client through the pipeline, as other systems send them."""
    with session() as s:
        client = clients.find(s, client_ref(code, area, port))
        logged = signals.log_signal(
            s,
            client,
            type_no,
            zone=zone,
            memo=memo,
            source=SignalSource.MANUAL,
            operator=operator(),
        )
        click.echo(f"signal {logged.id} logged on {client.label}: {logged.description}")


@cli.group("settings")
def settings_group() -> None:
    """System-wide settings."""


@settings_group.command("show")
@json_option
def settings_show(as_json: bool) -> None:
    """Show every system-wide setting."""
    with session() as s:
        values = system_settings.all_settings(s)
    lines = [f"{name} = {value!r}  # {system_settings.SPECS[name].label}" for name, value in values.items()]
    emit(as_json, values, lines)


@settings_group.command("set")
@click.argument("name")
@click.argument("value")
def settings_set(name: str, value: str) -> None:
    """Change a system-wide setting."""
    with session() as s:
        stored = system_settings.set_value(s, name, value, operator())
    click.echo(f"{name} = {stored!r}")


@cli.group("keys")
def keys() -> None:
    """Encryption keys of the API keys at rest."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every API key under the newest key (the first in COMMISSIONER_ENCRYPTION_KEYS)."""
    with session() as s:
        count = communicator_types.rotate_keys(s, operator())
        aes_keys = receiver_accounts.rotate_keys(s)
        webhook_secrets = webhook_endpoints.rotate_keys(s)
    click.echo(f"{count} API keys re-encrypted under the newest key")
    click.echo(f"{aes_keys} receiver AES keys and {webhook_secrets} webhook secrets re-encrypted too")


@cli.group("execution")
def execution() -> None:
    """Task executions."""


@execution.command("retry")
@click.argument("execution_id", type=Id)
@click.option("--yes", is_flag=True, help="Confirm retrying the retirement of a SIM.")
def execution_retry(execution_id: int, yes: bool) -> None:
    """Retry a failed task execution (as a new execution for the same target), checked as its first
    request was: retiring a SIM needs --yes, and a status change the carrier's rules read live."""
    retried = sim_console.retry(execution_id, operator(), admin=True, confirmed=yes)
    click.echo(f"execution {execution_id} retried as execution {retried.execution_id}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), required=True)
@click.option("--user-name", required=True)
@click.option(
    "--api-key", required=True, help="The key clients must present (a simulator's, not a real one)."
)
@click.option("--sims", "sims_file", type=click.Path(exists=True, dir_okay=False), help="JSON list of SIMs.")
@click.option("--strict", is_flag=True, help="Answer 'invalid ICCID' for SIMs it was not given.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0)
@click.option("--fail-rate", type=click.FloatRange(0, 1), default=0.0, help="Fraction of calls answered 500.")
@click.option("--timeout-rate", type=click.FloatRange(0, 1), default=0.0, help="Fraction of calls that hang.")
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Calls per second per account (0: none).",
)
@click.option(
    "--apply-delay-ms",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Status changes show only after this.",
)
@click.option(
    "--password", default=None, help="The SOAP API's password (without it, SOAP calls are refused)."
)
@click.option("--license-key", default=None, help="The SOAP API's licence key.")
@click.option("--emnify-token", default=None, help="Serve emnify under /api/v1/ with this application token.")
@click.option(
    "--account-sid", default=None, help="With --auth-token: serve Super SIM under /v1/ for this account."
)
@click.option("--auth-token", default=None, help="The Super SIM auth token clients must present.")
@click.option(
    "--kore-client-id",
    default=None,
    help="With --kore-client-secret: serve KORE's token API; Super SIM also takes its bearer tokens.",
)
@click.option(
    "--kore-client-secret", default=None, help="The KORE OAuth2 client secret clients must present."
)
def simulator(**options: object) -> None:
    """Run a Cisco IoT Control Center simulator (REST API under /rws/api/v1, SOAP under /ws/service)."""
    from cli.simulator import run_simulator

    run_simulator(**options)  # type: ignore[arg-type]


@cli.command()
@click.option("--keep", is_flag=True, help="Leave the simulator and worker running after the demo.")
def demo(keep: bool) -> None:
    """Commission and decommission a demo client end to end on the embedded default."""
    from cli.demo import run_demo

    run_demo(keep=keep)


cli.add_command(client_commands.client)
for feature in features.modules("cli"):  # each feature's commands, found by folder
    for command in feature.commands:
        cli.add_command(command)
for web_command in (web_commands.web, web_commands.user, web_commands.api_token):
    cli.add_command(web_command)


def main() -> None:
    cli(prog_name="commissioner")
