"""The official emnify SDK (``emnify-sdk``, in its own venv: it needs pydantic<2) drives the emnify
simulator unchanged, given only its address: authenticate, find a SIM by ICCID, change its status, read
it back. The change is checked in the simulator's own store. Without the SDK's venv (``make venv``
builds it) this test fails: it never skips."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from centre.validation import with_luhn_digit
from cli.processes import free_port, start_simulator, stop
from tests.integration.fixtures import SIM_KEY, SIM_USER

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv" / "sdk" / "emnify" / "bin" / "python"
SCRIPT = ROOT / "tests" / "sdk" / "emnify_drive.py"
TOKEN = "emnify-sdk-app-token-5d"
ICCID = with_luhn_digit(f"8988303{os.getpid() % 100_000:05d}0000001")


@pytest.fixture
def simulator() -> Iterator[str]:
    port = free_port()
    proc = start_simulator(port, SIM_USER, SIM_KEY, extra=["--strict", "--emnify-token", TOKEN])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def _drive(base: str, action: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    # The SDK reads its address from the environment when imported; nothing else is set for it.
    env = {"PATH": os.environ.get("PATH", ""), "EMNIFY_SDK_API_ENDPOINT_URL": f"{base}/api"}
    return subprocess.run(
        [str(SDK_PYTHON), str(SCRIPT), ICCID, action],
        input=token + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _stored_status(base: str) -> str:
    answer = httpx.get(f"{base}/_admin/emnify/sims", auth=(SIM_USER, SIM_KEY), timeout=5)
    [sim] = [sim for sim in answer.json() if sim["iccid_with_luhn"] == ICCID]
    return str(sim["status"]["description"])


def test_the_official_emnify_sdk_drives_the_simulator(simulator: str) -> None:
    assert SDK_PYTHON.exists(), f"{SDK_PYTHON} is missing: `make venv` builds the emnify SDK's venv"
    httpx.post(
        f"{simulator}/_admin/emnify/sims",
        json=[{"iccid": ICCID, "status": "Activated"}],
        auth=(SIM_USER, SIM_KEY),
        timeout=5,
    ).raise_for_status()

    suspended = _drive(simulator, "suspend")
    assert suspended.returncode == 0, suspended.stderr
    assert json.loads(suspended.stdout) | {"id": 0} == {"id": 0, "before": "Activated", "after": "Suspended"}
    assert _stored_status(simulator) == "Suspended"

    activated = _drive(simulator, "activate")
    assert activated.returncode == 0, activated.stderr
    assert json.loads(activated.stdout)["after"] == "Activated"
    assert _stored_status(simulator) == "Activated"

    refused = _drive(simulator, "suspend", token="not-the-token")
    assert refused.returncode != 0
    assert _stored_status(simulator) == "Activated"
