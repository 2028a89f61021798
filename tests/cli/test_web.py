"""``commissioner user add``, ``commissioner api-token add`` and ``commissioner web``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from centre import api_tokens, logins
from cli.main import cli
from models.db import unit_of_work
from pipeline.outbox import Message


@pytest.fixture
def runner(sqlite_database: str, published: list[Message]) -> CliRunner:
    return CliRunner()


def test_user_add_reads_the_password_from_stdin(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["user", "add", "Alice", "--role", "admin"], input="a long password\n")
    assert result.exit_code == 0, result.output
    assert "login account alice (admin) added" in result.output
    assert "a long password" not in result.output
    with unit_of_work() as session:
        assert logins.authenticate(session, "alice", "a long password") is not None


def test_user_add_refuses_bad_input_in_one_line(runner: CliRunner) -> None:
    short = runner.invoke(cli, ["user", "add", "bob"], input="short\n")
    assert short.exit_code == 1
    assert short.output == "error: password must be at least 8 characters\n"
    runner.invoke(cli, ["user", "add", "bob"], input="a long password\n")
    again = runner.invoke(cli, ["user", "add", "bob"], input="a long password\n")
    assert again.output == "error: a login account named 'bob' already exists\n"
    bad_role = runner.invoke(cli, ["user", "add", "carol", "--role", "boss"], input="a long password\n")
    assert bad_role.exit_code == 2


def test_api_token_add_prints_the_token_once(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["api-token", "add", "receiver", "--role", "operator"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith(api_tokens.PREFIX)
    with unit_of_work() as session:
        found = api_tokens.authenticate(session, token)
        assert found is not None
        assert (found.name, found.role) == ("receiver", "operator")
        assert token not in found.token_hash


def test_web_has_host_and_port_options(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["web", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output
    assert "--port" in result.output
