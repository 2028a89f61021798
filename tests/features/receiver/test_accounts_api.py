"""Receiver accounts through the JSON API and the command line: the key is write-only and encrypted at
rest, bad input changes nothing, only admins change them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from cli.main import cli
from models import OperatorLog, ReceiverAccount
from models.db import unit_of_work
from tests.web.fixtures import CLIENT, bearer, snapshot

KEY = "00112233445566778899AABBCCDDEEFF"


def test_set_read_and_remove_over_the_api(app_client: TestClient, world: dict[str, str]) -> None:
    admin = bearer(world["admin_token"])
    path = f"/api/clients/{CLIENT}/receiver-account"
    answer = app_client.put(path, headers=admin, json={"account": "a1b2", "line": 3, "aes_key": KEY})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "client_code": CLIENT,
        "account": "A1B2",
        "receiver": None,
        "line": 3,
        "encrypted": True,
        "test_interval_min": None,
    }
    read = app_client.get(path, headers=bearer(world["operator_token"]))
    assert read.json()["encrypted"] is True
    assert KEY not in read.text
    with unit_of_work() as session:
        stored = session.scalar(select(ReceiverAccount))
        assert stored is not None
        assert stored.key_encrypted is not None
        assert KEY not in stored.key_encrypted
        assert all(KEY not in (row.detail or "") for row in session.scalars(select(OperatorLog)))
    assert app_client.delete(path, headers=admin).status_code == 204
    assert app_client.get(path, headers=admin).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"account": "XYZ1"},  # not hexadecimal
        {"account": "12"},  # too short
        {"account": "1234", "aes_key": "0123456789ABCDEG"},  # not hexadecimal
        {"account": "1234", "aes_key": "0123456789ABCDEF01"},  # 18 characters
        {"account": "1234", "line": 0x1000000},
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    app_client: TestClient, world: dict[str, str], body: dict[str, object]
) -> None:
    before = snapshot()
    answer = app_client.put(
        f"/api/clients/{CLIENT}/receiver-account", headers=bearer(world["admin_token"]), json=body
    )
    assert answer.status_code in (400, 422), answer.text
    assert "detail" in answer.json()
    assert snapshot() == before


def test_operators_may_read_but_not_change(app_client: TestClient, world: dict[str, str]) -> None:
    path = f"/api/clients/{CLIENT}/receiver-account"
    answer = app_client.put(path, headers=bearer(world["operator_token"]), json={"account": "1234"})
    assert answer.status_code == 403


def test_an_account_number_belongs_to_one_client(world: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["client", "add", "C2", "--name", "Other"]).exit_code == 0
    first = runner.invoke(cli, ["client", "receiver-account", "set", CLIENT, "1234"])
    assert first.exit_code == 0, first.output
    taken = runner.invoke(cli, ["client", "receiver-account", "set", "C2", "1234"])
    assert taken.exit_code == 1
    assert "already belongs to another client" in taken.output


def test_the_cli_reads_the_key_from_stdin_and_never_prints_it(world: dict[str, str]) -> None:
    runner = CliRunner()
    args = ["client", "receiver-account", "set", CLIENT, "5678", "--receiver", "2", "--encrypted"]
    bad = runner.invoke(cli, args, input="not-a-key\n")
    assert bad.exit_code == 1
    assert "16, 24 or 32 hexadecimal" in bad.output
    assert "not-a-key" not in bad.output
    done = runner.invoke(cli, args, input=KEY + "\n")
    assert done.exit_code == 0, done.output
    assert "(encrypted)" in done.output
    shown = runner.invoke(cli, ["client", "receiver-account", "show", CLIENT, "--json"])
    assert '"encrypted": true' in shown.output
    assert KEY not in shown.output + done.output
