"""Communicator types of the other platforms from the command line: the secret on standard input."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import cli
from config import secrets
from models import CommunicatorType
from models.db import unit_of_work
from pipeline.outbox import Message

TOKEN = "emnify-application-token-77"


@pytest.fixture
def runner(sqlite_database: str, published: list[Message]) -> CliRunner:
    return CliRunner()


def test_an_emnify_type_needs_no_user_name_and_takes_the_published_limit(runner: CliRunner) -> None:
    args = ["--operator", "t", "communicator-type", "add", "Roaming", "--kind", "emnify"]
    result = runner.invoke(
        cli, [*args, "--server-address", "https://cdn.emnify.net/api/v1"], input=TOKEN + "\n"
    )
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    with unit_of_work() as session:
        comm = session.scalars(select(CommunicatorType).where(CommunicatorType.name == "Roaming")).one()
        assert (comm.kind, comm.user_name, comm.calls_per_second) == ("emnify", "application token", 6.5)
        assert TOKEN not in comm.api_key_encrypted
        assert secrets.decrypt(comm.api_key_encrypted) == TOKEN


def test_a_rate_above_emnifys_published_limit_is_refused(runner: CliRunner) -> None:
    args = [
        "--operator",
        "t",
        "communicator-type",
        "add",
        "Fast",
        "--kind",
        "emnify",
        "--calls-per-second",
        "20",
    ]
    result = runner.invoke(
        cli, [*args, "--server-address", "https://cdn.emnify.net/api/v1"], input=TOKEN + "\n"
    )
    assert result.exit_code != 0
    assert "published limit" in result.output
    with unit_of_work() as session:
        assert session.scalars(select(CommunicatorType)).all() == []


def test_a_super_sim_type_takes_the_account_sid_as_user_name(runner: CliRunner) -> None:
    sid = "AC" + "0a" * 16
    args = ["--operator", "t", "communicator-type", "add", "Super", "--kind", "supersim", "--user-name", sid]
    address = ["--server-address", "https://supersim.api.korewireless.com/v1"]
    result = runner.invoke(cli, [*args, *address], input="auth-token-1\n")
    assert result.exit_code == 0, result.output
    with unit_of_work() as session:
        comm = session.scalars(select(CommunicatorType).where(CommunicatorType.name == "Super")).one()
        assert (comm.kind, comm.user_name) == ("supersim", sid)
        assert secrets.decrypt(comm.api_key_encrypted) == "auth-token-1"
    missing = runner.invoke(
        cli,
        ["--operator", "t", "communicator-type", "add", "NoSid", "--kind", "supersim", *address],
        input="x\n",
    )
    assert missing.exit_code != 0
    assert "user name" in missing.output


def test_a_kore_oauth2_type_takes_the_client_id_and_the_client_secret_on_standard_input(
    runner: CliRunner,
) -> None:
    args = ["--operator", "t", "communicator-type", "add", "KORE", "--kind", "supersim-oauth2"]
    address = ["--server-address", "https://supersim.api.korewireless.com/v1"]
    result = runner.invoke(cli, [*args, *address, "--user-name", "kore-client-1"], input="client-secret-9\n")
    assert result.exit_code == 0, result.output
    assert "client-secret-9" not in result.output
    with unit_of_work() as session:
        comm = session.scalars(select(CommunicatorType).where(CommunicatorType.name == "KORE")).one()
        assert (comm.kind, comm.user_name) == ("supersim-oauth2", "kore-client-1")
        assert "client-secret-9" not in comm.api_key_encrypted
        assert secrets.decrypt(comm.api_key_encrypted) == "client-secret-9"
    shown = runner.invoke(cli, ["communicator-type", "show", "KORE"])
    assert "client-secret-9" not in shown.output
    empty = runner.invoke(cli, [*args[:4], "Empty", *args[5:], *address, "--user-name", "c"], input="\n")
    assert empty.exit_code != 0
    assert "client secret" in empty.output
