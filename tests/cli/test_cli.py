"""The command line: the issue's commands work; bad input is one error line that changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from cli.main import cli
from config import secrets
from models import Client, CommunicatorType, ExecutionStatus, Signal, SignalSource, SystemSetting
from models.db import unit_of_work
from pipeline import executions, system_events
from pipeline.outbox import Message
from tests import factories as f

SECRET = "cli-s3cret-api-key"
TYPO = f.iccid(2)[:-1] + str((int(f.iccid(2)[-1]) + 1) % 10)  # a one-digit typo in a valid ICCID


@pytest.fixture
def commissioner(database: str, published: list[Message]) -> CliRunner:
    """A CLI runner on a fresh migrated database of each backend."""
    return CliRunner()


@pytest.fixture
def lite(sqlite_database: str, published: list[Message]) -> CliRunner:
    """A CLI runner on a fresh migrated SQLite database, for what does not depend on the backend."""
    return CliRunner()


def invoke(runner: CliRunner, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(cli, ["--operator", "tester", *args], input=stdin)


def ok(runner: CliRunner, *args: str, stdin: str | None = None) -> str:
    result = invoke(runner, *args, stdin=stdin)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.stdout


def _set_up_client(runner: CliRunner) -> None:
    ok(runner, "seed")
    ok(
        runner,
        "communicator-type",
        "add",
        "Jasper",
        "--server-address",
        f.SERVER,
        "--user-name",
        f.API_USER,
        stdin=SECRET + "\n",
    )
    ok(runner, "client", "add", "C1", "--name", "Corner shop")
    ok(
        runner,
        "client",
        "device",
        "add",
        "C1",
        "--communicator-type",
        "Jasper",
        "--device-ref-no",
        f.iccid(1),
    )


def _counts() -> dict[str, int]:
    with unit_of_work() as session:
        return f.row_counts(session)


def _history(runner: CliRunner) -> list[dict[str, object]]:
    entries = json.loads(ok(runner, "client", "history", "C1", "--json"))
    assert isinstance(entries, list)
    return entries


# -- the command list ----------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema(env: dict[str, str]) -> None:
    runner = CliRunner()  # no database fixture: the embedded default under the data directory

    refused = invoke(runner, "seed")
    assert refused.exit_code != 0
    assert (
        refused.stderr.strip() == "error: the database has no schema yet: run `commissioner db upgrade` first"
    )

    assert "database is up to date" in ok(runner, "db", "upgrade")
    assert "database is up to date" in ok(runner, "db", "upgrade")  # again: nothing to do
    ok(runner, "seed")
    assert (Path(env["COMMISSIONER_DATA_DIR"]) / "commissioner.db").exists()


def test_db_upgrade_on_a_migrated_database_is_a_no_op(lite: CliRunner) -> None:
    before = _counts()

    assert "database is up to date" in ok(lite, "db", "upgrade")

    assert _counts() == before


def test_seed_twice_changes_nothing_but_the_log(lite: CliRunner) -> None:
    assert "Jasper setup is in place" in ok(lite, "seed")
    before = _counts()

    ok(lite, "seed")

    assert _counts() == {**before, "operator_log": before["operator_log"] + 1}


def test_communicator_type_add_reads_the_key_from_stdin_and_stores_it_encrypted(
    lite: CliRunner,
) -> None:
    result = invoke(
        lite,
        "communicator-type",
        "add",
        "Jasper",
        "--server-address",
        f.SERVER,
        "--user-name",
        f.API_USER,
        stdin=SECRET + "\n",
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == "communicator type Jasper added\n"
    assert SECRET not in result.output
    with unit_of_work() as session:
        comm = session.scalar(select(CommunicatorType))
        assert comm is not None
        assert (comm.server_address, comm.user_name) == (f.SERVER, f.API_USER)
        assert SECRET not in comm.api_key_encrypted
        assert secrets.decrypt(comm.api_key_encrypted) == SECRET
        assert SECRET not in repr(comm)


def test_the_commissioning_commands_work_end_to_end(
    commissioner: CliRunner, published: list[Message]
) -> None:
    _set_up_client(commissioner)

    assert "C1 commissioned; the outcome follows" in ok(commissioner, "client", "commission", "C1")
    assert "C1 decommissioned" in ok(
        commissioner, "client", "decommission", "C1", "--reason", "moved away", "--offline"
    )
    assert "Unknown event type 130" in ok(
        commissioner, "signal", "C1", "130", "--zone", "3", "--memo", "door"
    )

    with unit_of_work() as session:
        client = session.scalar(select(Client).where(Client.client_code == "C1"))
        assert client is not None
        assert (client.decommission_reason, client.offline) == ("moved away", True)
        assert client.commissioned_at is not None
        execution_ids = [e.id for e in f.executions(session, client)]
    assert [m[0] for m in published] == execution_ids  # Activate, then Deactivate (offline or not)
    entries = _history(commissioner)
    assert [(e["type_no"], e["memo"]) for e in entries] == [
        (system_events.CLIENT_COMMISSIONED, ""),
        (system_events.CLIENT_DECOMMISSIONED, "moved away"),
        (130, "door (client offline: no response)"),
    ]
    assert entries[-1]["zone"] == 3
    assert entries[-1]["operator"] == "tester"


def test_history_json_is_oldest_first_and_shows_outcomes(commissioner: CliRunner) -> None:
    _set_up_client(commissioner)
    ok(commissioner, "client", "commission", "C1")
    with unit_of_work() as session:
        (execution,) = f.executions(session)
        claim = executions.claim(session, execution.id)
        assert claim is not None
        executions.complete(session, claim, ExecutionStatus.SUCCEEDED, "ACTIVATED, confirmed by the carrier")

    entries = _history(commissioner)

    assert [e["type_no"] for e in entries] == [
        system_events.CLIENT_COMMISSIONED,
        system_events.TASK_SUCCEEDED,
    ]
    assert [e["time"] for e in entries] == sorted(str(e["time"]) for e in entries)
    assert all({"time", "type_no", "description", "memo"} <= e.keys() for e in entries)
    assert "outcome" not in entries[0]
    assert entries[1]["outcome"] == "succeeded"
    assert entries[1]["execution_id"] == execution.id
    assert entries[1]["description"] == "Task Succeeded"


def test_history_as_text_has_one_line_per_signal(lite: CliRunner) -> None:
    _set_up_client(lite)
    ok(lite, "client", "commission", "C1", "--memo", "installed")

    lines = ok(lite, "client", "history", "C1").splitlines()

    assert len(lines) == 1
    assert "65516  Client Commissioned - installed (tester)  <Auto>" in lines[0]


def test_default_commission_on_create_through_the_cli(lite: CliRunner) -> None:
    ok(lite, "seed")

    assert "= 'true'" in ok(lite, "settings", "set", "default_commission_date_to_current_time", "yes")
    assert "client C2 added (commissioned)" in ok(lite, "client", "add", "C2", "--name", "Auto")

    with unit_of_work() as session:
        client = session.scalar(select(Client).where(Client.client_code == "C2"))
        assert client is not None
        assert [s.type_no for s in f.signals(session, client)] == [system_events.CLIENT_COMMISSIONED]


def test_settings_show_lists_every_setting(lite: CliRunner) -> None:
    shown = ok(lite, "settings", "show")

    assert "default_commission_date_to_current_time = 'false'" in shown
    assert "default_action_plan = ''" in shown
    assert "new_client_template = ''" in shown


def test_operator_retry_of_a_failed_execution(lite: CliRunner, published: list[Message]) -> None:
    _set_up_client(lite)
    ok(lite, "client", "commission", "C1")
    with unit_of_work() as session:
        (execution,) = f.executions(session)
        claim = executions.claim(session, execution.id)
        assert claim is not None
        executions.complete(session, claim, ExecutionStatus.FAILED, "invalid ICCID")
    published.clear()

    out = ok(lite, "execution", "retry", str(execution.id))

    ((new_id, *_),) = published
    assert out == f"execution {execution.id} retried as execution {new_id}\n"


# -- bad input -----------------------------------------------------------------------------------------

BAD_INPUT = {
    "unknown client": (["client", "commission", "NOPE"], None, "no client with code 'NOPE'"),
    "unknown client history": (["client", "history", "NOPE", "--json"], None, "no client with code 'NOPE'"),
    "malformed ICCID": (
        ["client", "device", "add", "C1", "--communicator-type", "Jasper", "--device-ref-no", "8988-1234"],
        None,
        "must be 19 or 20 digits",
    ),
    "ICCID typo": (
        ["client", "device", "add", "C1", "--communicator-type", "Jasper", "--device-ref-no", TYPO],
        None,
        "wrong check digit (Luhn)",
    ),
    "SIM on another client": (
        ["client", "device", "add", "C2", "--communicator-type", "Jasper", "--device-ref-no", f.iccid(1)],
        None,
        "is already on client C1",
    ),
    "server address without protocol": (
        [
            "communicator-type",
            "add",
            "Other",
            "--server-address",
            "cc.example.test/rws/api/v1",
            "--user-name",
            "u",
        ],
        SECRET + "\n",
        "must start with http:// or https://",
    ),
    "empty API key": (
        ["communicator-type", "add", "Other", "--server-address", f.SERVER, "--user-name", "u"],
        "\n",
        "API key must not be empty",
    ),
    "unknown setting": (["settings", "set", "colour", "blue"], None, "no setting named 'colour'"),
    "bad setting value": (
        ["settings", "set", "default_commission_date_to_current_time", "maybe"],
        None,
        "is not a yes/no value",
    ),
    "duplicate client": (["client", "add", "C1", "--name", "Again"], None, "already exists"),
    "bad client code": (["client", "add", "C 1", "--name", "Spaces"], None, "client code 'C 1'"),
    "type number out of range": (["signal", "C1", "70000"], None, "type number must be between 0 and 65535"),
    "empty decommission reason": (
        ["client", "decommission", "C1", "--reason", " "],
        None,
        "must not be empty",
    ),
    "template commission": (["client", "commission", "SYSEVENTS"], None, "templates are not commissioned"),
    "retry of a pending execution": (["execution", "retry", "1"], None, "still pending"),
}


def _refuses(runner: CliRunner, args: list[str], stdin: str | None, message: str) -> None:
    with unit_of_work() as session:
        settings_before = {s.name: s.value for s in session.scalars(select(SystemSetting))}
    before = _counts()

    result = invoke(runner, *args, stdin=stdin)

    assert result.exit_code != 0, args
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert SECRET not in result.output
    assert _counts() == before
    with unit_of_work() as session:
        assert {s.name: s.value for s in session.scalars(select(SystemSetting))} == settings_before


def _bad_input_setup(runner: CliRunner) -> None:
    _set_up_client(runner)
    ok(runner, "client", "add", "C2", "--name", "Second")
    ok(runner, "client", "commission", "C1")


@pytest.mark.parametrize(("args", "stdin", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_one_error_line_and_changes_nothing(
    lite: CliRunner, args: list[str], stdin: str | None, message: str
) -> None:
    _bad_input_setup(lite)

    _refuses(lite, args, stdin, message)


def test_bad_input_changes_nothing_on_either_backend(commissioner: CliRunner) -> None:
    _bad_input_setup(commissioner)

    for args, stdin, message in BAD_INPUT.values():
        _refuses(commissioner, args, stdin, message)


# -- bugs ----------------------------------------------------------------------------------------------


def test_history_shows_the_newest_signals_of_a_long_history(lite: CliRunner) -> None:
    ok(lite, "client", "add", "C1", "--name", "Busy panel")
    with unit_of_work() as session:
        client = session.scalar(select(Client).where(Client.client_code == "C1"))
        assert client is not None
        session.add_all(
            Signal(
                client_id=client.id, type_no=130, description="Burglary", source=SignalSource.API, memo=str(n)
            )
            for n in range(1001)
        )

    entries = _history(lite)

    assert len(entries) == 1001
    assert entries[-1]["memo"] == "1000"


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_an_overlong_operator_name_is_no_traceback(commissioner: CliRunner) -> None:
    result = commissioner.invoke(cli, ["--operator", "o" * 101, "client", "add", "C1", "--name", "Shop"])

    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code:
        assert result.stderr.startswith("error: ")
        assert len(result.stderr.splitlines()) == 1


@pytest.mark.integration
@pytest.mark.parametrize(
    "args",
    [
        [b"execution", b"retry", b"99999999999999999999999999"],
        [b"client", b"add", b"A2", b"--name", b"caf\xe9"],  # Latin-1, not UTF-8: undecodable
        [b"client", b"add", b"A\xff"],
        [b"client", b"history", b"\xff\xfe"],
        [b"signal", b"C1", b"70000"],
    ],
    ids=["huge id", "undecodable name", "undecodable code", "undecodable history", "type out of range"],
)
def test_bad_arguments_get_one_line_never_a_traceback(
    database: str, env: dict[str, str], args: list[bytes]
) -> None:
    """Before, undecodable arguments and huge ids printed tracebacks."""
    environ = {**os.environ, **env, "LC_ALL": "C.UTF-8"}
    ran = subprocess.run(
        [sys.executable.encode(), b"-m", b"cli", *args], env=environ, capture_output=True, check=False
    )
    assert ran.returncode in (1, 2)
    assert b"Traceback" not in ran.stderr + ran.stdout
    assert b"error" in ran.stderr.lower()


def test_communicator_types_are_listed_shown_updated_and_removed_never_showing_the_key(
    lite: CliRunner,
) -> None:
    _set_up_client(lite)
    ok(
        lite,
        "communicator-type",
        "add",
        "Spare",
        "--server-address",
        f.SERVER,
        "--user-name",
        "u2",
        stdin="k2\n",
    )
    listed = json.loads(ok(lite, "communicator-type", "list", "--json"))
    assert [row["name"] for row in listed] == ["Jasper", "Spare"]
    shown = ok(lite, "communicator-type", "show", "Jasper")
    assert f"server_address: {f.SERVER}" in shown
    assert SECRET not in shown + json.dumps(listed)

    before = _counts()
    moved = invoke(
        lite, "communicator-type", "update", "Jasper", "--server-address", "https://other.example/rws/api/v1"
    )
    assert moved.exit_code != 0
    assert "key" in moved.stderr  # the stored key stays bound to its address
    assert _counts() == before
    ok(lite, "communicator-type", "update", "Jasper", "--calls-per-second", "2")
    assert json.loads(ok(lite, "communicator-type", "show", "Jasper", "--json"))["calls_per_second"] == 2.0

    in_use = invoke(lite, "communicator-type", "remove", "Jasper", "--yes")
    assert in_use.exit_code != 0
    assert "move or remove them first" in in_use.stderr
    assert invoke(lite, "communicator-type", "remove", "Spare", stdin="n\n").exit_code != 0  # not confirmed
    assert "communicator type Spare removed" in ok(lite, "communicator-type", "remove", "Spare", "--yes")
    assert [row["name"] for row in json.loads(ok(lite, "communicator-type", "list", "--json"))] == ["Jasper"]
    assert invoke(lite, "communicator-type", "show", "Spare").exit_code != 0
