"""``commissioner bulk``: errors are one line each, exit codes say what happened, the result file is right."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from centre import clients
from cli.main import cli
from models import ExecutionStatus, Signal
from models.db import unit_of_work
from pipeline import executions, outbox, system_events
from pipeline.outbox import Message
from tests import factories as f

HEADER = "client_code,name,iccid,communicator_type"


@pytest.fixture
def commissioner(database: str, published: list[Message]) -> CliRunner:
    """A CLI runner on a fresh database of each backend, with the Jasper setup and client C1 (SIM 1)."""
    with unit_of_work() as session:
        f.seeded_client(session, "C1", 1)
    return CliRunner()


@pytest.fixture
def lite(sqlite_database: str, published: list[Message]) -> CliRunner:
    """The same on SQLite only, for what does not depend on the backend."""
    with unit_of_work() as session:
        f.seeded_client(session, "C1", 1)
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, ["--operator", "tester", "bulk", *args])


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def commissioned() -> int:
    with unit_of_work() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Signal)
            .where(Signal.type_no == system_events.CLIENT_COMMISSIONED)
        )
    return count or 0


def _good_file(tmp_path: Path, rows: int = 3) -> Path:
    return write(
        tmp_path / "clients.csv", HEADER, *(f"N{i},Client {i},{f.iccid(10 + i)},Jasper" for i in range(rows))
    )


def test_a_good_file_is_applied_and_its_result_file_written_next_to_it(
    commissioner: CliRunner, tmp_path: Path
) -> None:
    file = _good_file(tmp_path)

    result = invoke(commissioner, "commission", str(file))

    assert result.exit_code == 0, result.output
    assert "bulk job 1: commission 3 rows of clients.csv" in result.stdout
    assert "bulk job 1: 3 applied (3 waiting for the carrier)" in result.stdout
    assert result.stderr == ""
    out = tmp_path / "clients.results.csv"
    assert f"results written to {out}" in result.stdout
    assert read_results(out) == [
        {
            "row": str(n + 2),
            "client_code": f"N{n}",
            "iccid": f.iccid(10 + n),
            "status": "applied",
            "message": "commissioned; waiting for 1 task execution(s)",
        }
        for n in range(3)
    ]
    assert commissioned() == 3


def test_a_bad_file_lists_each_bad_row_on_one_line_and_applies_nothing(
    commissioner: CliRunner, tmp_path: Path
) -> None:
    bad_luhn = f.iccid(11)[:-1] + str((int(f.iccid(11)[-1]) + 1) % 10)
    file = write(
        tmp_path / "clients.csv",
        HEADER,
        f"N0,Zero,{f.iccid(10)},Jasper",
        f"N1,One,{bad_luhn},Jasper",
        "N2,,,",
        f"N3,Three,{f.iccid(1)},Jasper",
    )

    result = invoke(commissioner, "commission", str(file), "--results", str(tmp_path / "out.csv"))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"row 3: ICCID {bad_luhn} has a wrong check digit (Luhn): check for a typo",
        "row 4: no client with code N2: give a name to create it",
        f"row 5: ICCID {f.iccid(1)} is already on client C1",
        "error: 3 of 4 rows of the file are bad; nothing was applied: fix them, or run again with "
        f"--skip-bad-rows to apply the good row (results in {tmp_path / 'out.csv'})",
    ]
    assert [(r["row"], r["status"]) for r in read_results(tmp_path / "out.csv")] == [
        ("2", "skipped"),
        ("3", "invalid"),
        ("4", "invalid"),
        ("5", "invalid"),
    ]
    assert commissioned() == 0


def test_skip_bad_rows_applies_the_good_ones_and_exits_3(lite: CliRunner, tmp_path: Path) -> None:
    file = write(tmp_path / "clients.csv", HEADER, f"N0,Zero,{f.iccid(10)},Jasper", "N2,,,")

    result = invoke(lite, "commission", str(file), "--skip-bad-rows")

    assert result.exit_code == 3, result.output
    assert "commission 2 rows of clients.csv, 1 bad rows skipped" in result.stdout
    assert "1 applied (1 waiting for the carrier), 1 invalid" in result.stdout
    assert [(r["row"], r["status"]) for r in read_results(tmp_path / "clients.results.csv")] == [
        ("2", "applied"),
        ("3", "invalid"),
    ]
    assert commissioned() == 1


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ("client_code,iccd", "C1,1"),
            "error: unknown column(s) 'iccd' in the header row; the columns are: ",
        ),
        (("client_code,reason", "C1,x"), "error: column(s) reason belong in a decommission file"),
        (("client_code",), "error: the file has a header row but no rows"),
    ],
)
def test_a_file_wrong_as_a_whole_is_one_error_line(
    lite: CliRunner, tmp_path: Path, lines: tuple[str, ...], message: str
) -> None:
    result = invoke(lite, "commission", str(write(tmp_path / "x.csv", *lines)))

    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message)
    assert not (tmp_path / "x.results.csv").exists()


def test_a_missing_file_is_a_usage_error(lite: CliRunner, tmp_path: Path) -> None:
    result = invoke(lite, "commission", str(tmp_path / "nope.csv"))

    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_an_interrupted_run_resumes_without_repeating_a_row(
    commissioner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = _good_file(tmp_path, rows=5)
    real_commission = clients.commission
    calls = 0

    def interrupted_at_the_third(*args: object, **kwargs: object) -> list[Signal]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return real_commission(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(clients, "commission", interrupted_at_the_third)
    stopped = invoke(commissioner, "commission", str(file))

    assert stopped.exit_code == 130
    assert stopped.stderr == (
        "error: interrupted: run the same command again to resume (no row is applied twice)\n"
    )
    statuses = [r["status"] for r in read_results(tmp_path / "clients.results.csv")]
    assert statuses == ["applied", "applied", "queued", "queued", "queued"]

    resumed = invoke(commissioner, "commission", str(file))

    assert resumed.exit_code == 0, resumed.output
    assert "resuming bulk job 1 (started " in resumed.stdout
    assert "by tester): 3 queued, 2 applied (2 waiting for the carrier)" in resumed.stdout
    assert "bulk job 1: 5 applied (5 waiting for the carrier)" in resumed.stdout
    assert commissioned() == 5


def test_no_resume_runs_the_file_again_as_a_new_job(lite: CliRunner, tmp_path: Path) -> None:
    file = _good_file(tmp_path, rows=1)
    assert invoke(lite, "commission", str(file)).exit_code == 0

    again = invoke(lite, "commission", str(file), "--no-resume")

    assert again.exit_code == 0, again.output
    assert "bulk job 2: commission 1 rows" in again.stdout
    assert commissioned() == 2


def test_wait_fills_in_the_carriers_outcome(
    commissioner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def carrier(messages: list[Message]) -> int:
        """A worker that answers at once: success for SIM 10, a refusal for the others."""
        with unit_of_work() as session:
            for execution_id, *_ in messages:
                claim = executions.claim(session, execution_id)
                assert claim is not None
                if claim.target["iccid"] == f.iccid(10):
                    executions.complete(session, claim, ExecutionStatus.SUCCEEDED, "ACTIVATED, confirmed")
                else:
                    executions.complete(session, claim, ExecutionStatus.FAILED, "10000029: not allowed")
        return len(messages)

    monkeypatch.setattr(outbox, "publish", carrier)
    file = _good_file(tmp_path, rows=2)

    result = invoke(commissioner, "commission", str(file), "--wait")

    assert result.exit_code == 3, result.output
    assert "bulk job 1: 1 succeeded, 1 failed" in result.stdout
    rows = read_results(tmp_path / "clients.results.csv")
    assert [(r["status"], r["message"]) for r in rows] == [
        ("succeeded", f"Jasper Activate SIM {f.iccid(10)}: ACTIVATED, confirmed"),
        ("failed", f"Jasper Activate SIM {f.iccid(11)}: 10000029: not allowed"),
    ]


def test_wait_gives_up_after_the_timeout_without_progress(lite: CliRunner, tmp_path: Path) -> None:
    result = invoke(lite, "commission", str(_good_file(tmp_path, rows=1)), "--wait", "--wait-timeout", "0")

    assert result.exit_code == 3
    assert "1 rows still wait for the carrier after 0 s without progress" in result.stderr


def test_decommission_and_the_results_command(lite: CliRunner, tmp_path: Path) -> None:
    file = write(tmp_path / "gone.csv", "client_code,reason,offline", "C1,moved out,yes")
    assert invoke(lite, "decommission", str(file)).exit_code == 0
    with unit_of_work() as session:
        (execution,) = f.executions(session)
        claim = executions.claim(session, execution.id)
        assert claim is not None
        executions.complete(session, claim, ExecutionStatus.SUCCEEDED, "DEACTIVATED, confirmed")

    by_file = invoke(lite, "results", str(file))
    by_job = invoke(lite, "results", "--job", "1", "--results", str(tmp_path / "job1.csv"))

    assert by_file.exit_code == 0, by_file.output
    assert by_file.stdout.splitlines() == [
        "bulk job 1 (decommission gone.csv): 1 succeeded",
        f"results written to {tmp_path / 'gone.results.csv'}",
    ]
    assert by_job.exit_code == 0, by_job.output
    assert read_results(tmp_path / "job1.csv") == read_results(tmp_path / "gone.results.csv")
    assert read_results(tmp_path / "job1.csv")[0]["status"] == "succeeded"


def test_results_of_a_file_never_run_or_without_a_file_are_errors(lite: CliRunner, tmp_path: Path) -> None:
    never = invoke(lite, "results", str(_good_file(tmp_path)))
    neither = invoke(lite, "results")

    assert (never.exit_code, never.stderr) == (1, "error: this file has not been run as a bulk job\n")
    assert neither.exit_code == 2
    assert "give either FILE or --job" in neither.stderr


def test_the_help_documents_the_columns(lite: CliRunner) -> None:
    result = invoke(lite, "decommission", "--help")

    assert result.exit_code == 0
    for column in ("client_code", "name", "iccid", "communicator_type", "reason", "offline", "area", "port"):
        assert f"  {column} " in result.stdout
