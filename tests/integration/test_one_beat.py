"""One beat at a time, enforced: before, nothing stopped a second beat, and the relay, the reconciler and
the broker's pruning ran twice as often. The second waits, and takes over when the first stops."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cli.processes import stop, wait_until
from tests.conftest import PG_ADMIN_DSN
from worker.beat_lock import LOCK_KEY

pytestmark = pytest.mark.integration

Beat = tuple[subprocess.Popen[bytes], Path]


def _beat(env: dict[str, str], directory: Path, name: str) -> Beat:
    log = directory / f"{name}.log"
    schedule = directory / f"{name}-schedule"
    args = [sys.executable, "-m", "celery", "-A", "worker", "beat", "--loglevel", "INFO", "-s", str(schedule)]
    with open(log, "ab") as output:
        proc = subprocess.Popen(
            args, env={**os.environ, **env}, stdout=output, stderr=output, start_new_session=True
        )
    return proc, log


@pytest.fixture
def beats(
    broker: str, env: dict[str, str], tmp_path: Path
) -> Iterator[list[tuple[subprocess.Popen[bytes], Path]]]:
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    yield started
    for proc, _log in started:
        stop(proc)


def test_a_second_beat_waits_and_takes_over(beats: list[Beat], env: dict[str, str], tmp_path: Path) -> None:
    first, first_log = _beat(env, tmp_path, "first")
    beats.append((first, first_log))
    wait_until(lambda: "holds the schedule" in first_log.read_text(), 60, "the first beat to take the lock")
    second, second_log = _beat(env, tmp_path, "second")
    beats.append((second, second_log))
    wait_until(lambda: "another beat holds the schedule" in second_log.read_text(), 60, "the second to wait")
    assert "beat holds the schedule: it is the only one" not in second_log.read_text()
    assert "Scheduler: Sending due task" not in second_log.read_text()
    stop(first)
    wait_until(
        lambda: "beat holds the schedule: it is the only one" in second_log.read_text(),
        60,
        "the second beat to take over",
    )
    wait_until(lambda: "Sending due task relay" in second_log.read_text(), 60, "the second to schedule")


def _scheduling(beats: list[Beat], env: dict[str, str], directory: Path) -> Beat:
    """A beat that holds the schedule."""
    beat, log = _beat(env, directory, "beat")
    beats.append((beat, log))
    wait_until(lambda: "holds the schedule" in log.read_text(), 60, "the beat to take the lock")
    return beat, log


def _cut_off(database_url: str) -> None:
    """End the beat's database session, as a PostgreSQL restart does: its advisory lock goes with it."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND a.datname = %s",
            (name,),
        ).fetchall()
    assert ended == [(True,)], ended


# Before, a beat that lost its database session exited, and the relay stopped sweeping until something
# restarted it: the fault suite's PostgreSQL restart left executions running for good.
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_beat_cut_off_from_its_database_takes_the_schedule_again(
    beats: list[Beat], database: str, env: dict[str, str], tmp_path: Path
) -> None:
    beat, log = _scheduling(beats, env, tmp_path)
    _cut_off(database)
    wait_until(lambda: "holds the schedule again" in log.read_text(), 60, "the beat to take the lock again")
    sent = log.read_text().count("Sending due task relay")
    wait_until(lambda: log.read_text().count("Sending due task relay") > sent, 30, "the beat to go on")
    assert beat.poll() is None


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_beat_cut_off_while_another_takes_the_schedule_exits(
    beats: list[Beat], database: str, env: dict[str, str], tmp_path: Path
) -> None:
    beat, log = _scheduling(beats, env, tmp_path)
    url = database.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as other:
        _cut_off(database)
        # Another beat, as the test: it takes the lock the moment the first one's session ends.
        wait_until(
            lambda: other.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone() == (True,),
            10,
            "the lock to be free",
        )
        assert beat.wait(timeout=60) == 3
    assert "another beat took the schedule" in log.read_text()
