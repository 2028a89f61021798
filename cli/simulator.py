"""``commissioner simulator``: the Control Center simulator from the command line."""

from __future__ import annotations

import click

from centre.errors import InvalidInput
from simulator import Faults, SimulatorConfig, serve
from simulator.state import load_sims


def run_simulator(
    host: str,
    port: int,
    user_name: str,
    api_key: str,
    sims_file: str | None,
    strict: bool,
    latency_ms: float,
    fail_rate: float,
    timeout_rate: float,
    rate_limit: float,
    apply_delay_ms: float,
    password: str | None = None,
    license_key: str | None = None,
    emnify_token: str | None = None,
    account_sid: str | None = None,
    auth_token: str | None = None,
    kore_client_id: str | None = None,
    kore_client_secret: str | None = None,
) -> None:
    """Serve until interrupted."""
    try:
        sims = load_sims(sims_file) if sims_file else []
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    faults = Faults(
        latency_ms=latency_ms,
        fail_rate=fail_rate,
        timeout_rate=timeout_rate,
        rate_limit=rate_limit,
        apply_delay_ms=apply_delay_ms,
    )
    try:
        config = SimulatorConfig(
            user_name=user_name,
            api_key=api_key,
            strict=strict,
            sims=sims,
            faults=faults,
            password=password,
            license_key=license_key,
            emnify_token=emnify_token,
            account_sid=account_sid,
            auth_token=auth_token,
            kore_client_id=kore_client_id,
            kore_client_secret=kore_client_secret,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    click.echo(f"Control Center simulator on http://{host}:{port}/rws/api/v1 (user {user_name})", err=True)
    if password and license_key:
        click.echo(f"  and its SOAP API on http://{host}:{port}/ws/service/Terminal and .../Sms", err=True)
    if emnify_token:
        click.echo(f"emnify simulator on http://{host}:{port}/api/v1", err=True)
    if account_sid and auth_token:
        click.echo(f"Super SIM simulator on http://{host}:{port}/v1 (account {account_sid})", err=True)
        if kore_client_id and kore_client_secret:
            click.echo(f"  and KORE's token API on http://{host}:{port}/api-services/v1/auth/token", err=True)
    serve(config, host=host, port=port)
