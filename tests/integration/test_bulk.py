"""A bulk file through the real stack: the CLI, a worker and the simulator, on both backends."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from centre import communicator_types, seed
from centre.validation import with_luhn_digit
from models.db import unit_of_work
from tests.integration.fixtures import OPERATOR, SIM_KEY, SIM_USER, Stack

pytestmark = pytest.mark.integration

ROWS = 20


def test_a_bulk_file_with_wait_activates_every_sim(
    stack: Stack, worker: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    with unit_of_work() as session:
        seed.seed(session, OPERATOR)
        communicator_types.add(
            session, "Carrier", stack.server_address, SIM_USER, SIM_KEY, OPERATOR, calls_per_second=50
        )
    iccids = [with_luhn_digit(f"8988{os.getpid() % 10_000:04d}{900 + n:010d}") for n in range(ROWS)]
    file = tmp_path / "install.csv"
    lines = ["client_code,name,iccid,communicator_type"]
    lines += [f"BULK{n},Shop {n},{iccid},Carrier" for n, iccid in enumerate(iccids)]
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert {stack.sim_status(iccid) for iccid in iccids} == {"ACTIVATION_READY"}

    run = subprocess.run(
        [sys.executable, "-m", "cli", "bulk", "commission", str(file), "--wait", "--wait-timeout", "60"],
        env={**os.environ, **stack.env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, (run.stdout, run.stderr)
    assert f"bulk job 1: {ROWS} succeeded" in run.stdout
    with (tmp_path / "install.results.csv").open(encoding="utf-8", newline="") as stream:
        results = list(csv.DictReader(stream))
    assert [(r["client_code"], r["iccid"], r["status"]) for r in results] == [
        (f"BULK{n}", iccid, "succeeded") for n, iccid in enumerate(iccids)
    ]
    assert all("ACTIVATED" in r["message"] for r in results)
    assert {stack.sim_status(iccid) for iccid in iccids} == {"ACTIVATED"}
