"""One beat at a time, enforced: before, nothing stopped a second beat, and the relay, the reconciler and
the broker's pruning ran twice as often. The second waits, and takes over when the first stops."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.processes import stop, wait_until

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
