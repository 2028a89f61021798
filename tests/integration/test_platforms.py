"""The spine's whole flow on the other carrier platforms, with real processes: commission, its outcome,
decommission, its outcome, and an ICCID the platform does not know failing with its reason.

One simulator serves every platform on one port; on each database stack (SQLite + kombu's SQLAlchemy
broker, PostgreSQL + Redis).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from centre import clients, communicator_types, seed
from centre.clients import ClientRef
from centre.validation import with_luhn_digit
from cli.processes import free_port, start_simulator, stop
from models import Signal
from models.db import unit_of_work
from pipeline import system_events
from tests.integration.fixtures import OPERATOR, SIM_KEY, SIM_USER, wait_for

pytestmark = pytest.mark.integration

EMNIFY_TOKEN = "emnify-app-token-3c2b1a"
ACCOUNT_SID, AUTH_TOKEN = "AC" + "4d" * 16, "supersim-auth-token-8e7f"


@dataclass
class Platforms:
    env: dict[str, str]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin(self, path: str, body: object) -> None:
        httpx.post(
            f"{self.base}/_admin{path}", json=body, auth=(SIM_USER, SIM_KEY), timeout=5
        ).raise_for_status()

    def emnify_status(self, iccid: str) -> str:
        answer = httpx.get(f"{self.base}/_admin/emnify/sims", auth=(SIM_USER, SIM_KEY), timeout=5)
        [sim] = [sim for sim in answer.json() if sim["iccid_with_luhn"] == iccid]
        return str(sim["status"]["description"])

    def supersim_status(self, iccid: str) -> str:
        answer = httpx.get(f"{self.base}/_admin/supersim/sims", auth=(SIM_USER, SIM_KEY), timeout=5)
        [sim] = [sim for sim in answer.json() if sim["iccid"] == iccid]
        return str(sim["status"])


@pytest.fixture
def platforms(broker: str, env: dict[str, str]) -> Iterator[Platforms]:
    port = free_port()
    extra = [
        "--strict",
        "--emnify-token",
        EMNIFY_TOKEN,
        "--account-sid",
        ACCOUNT_SID,
        "--auth-token",
        AUTH_TOKEN,
    ]
    simulator = start_simulator(port, SIM_USER, SIM_KEY, extra=extra, env={**os.environ, **env})
    try:
        yield Platforms(env, port)
    finally:
        stop(simulator)


@pytest.fixture
def platform_worker(platforms: Platforms) -> Iterator[subprocess.Popen[bytes]]:
    from cli.processes import start_worker

    proc = start_worker({**os.environ, **platforms.env})
    yield proc
    stop(proc)


def _iccid(number: int) -> str:
    return with_luhn_digit(f"8949{os.getpid() % 10_000:04d}{number:010d}")


def _add_client(code: str, comm: str, iccid: str) -> None:
    with unit_of_work() as session:
        client = clients.add(session, code, f"Client {code}", OPERATOR)
        clients.add_device(session, client, comm, iccid, OPERATOR)


def _press(code: str, action: str) -> None:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        if action == "commission":
            clients.commission(session, client, OPERATOR)
        else:
            clients.decommission(session, client, OPERATOR, "moved out", offline=True)


def _outcomes(code: str) -> list[Signal]:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        query = select(Signal).where(Signal.client_id == client.id, Signal.outcome.is_not(None))
        return list(session.scalars(query.order_by(Signal.id)))


def _flow(code: str, status: Callable[[], str], on: str, off: str) -> None:
    _press(code, "commission")
    wait_for(lambda: len(_outcomes(code)) == 1, "the commission outcome")
    [activated] = _outcomes(code)
    assert (activated.outcome, activated.type_no) == ("succeeded", system_events.TASK_SUCCEEDED), (
        activated.memo
    )
    assert on in activated.memo
    assert status() == on

    _press(code, "decommission")
    wait_for(lambda: len(_outcomes(code)) == 2, "the decommission outcome")
    assert _outcomes(code)[1].outcome == "succeeded", _outcomes(code)[1].memo
    assert status() == off


def test_the_whole_flow_on_emnify(platforms: Platforms, platform_worker: subprocess.Popen[bytes]) -> None:
    known, unknown = _iccid(1), _iccid(2)
    platforms.admin("/emnify/sims", [{"iccid": known}])
    with unit_of_work() as session:
        seed.seed(session, OPERATOR)
        communicator_types.add(
            session, "Roaming", f"{platforms.base}/api/v1", "", EMNIFY_TOKEN, OPERATOR, "emnify"
        )
    _add_client("EMN1", "Roaming", known)
    _add_client("EMN2", "Roaming", unknown)

    _flow("EMN1", lambda: platforms.emnify_status(known), "Activated", "Suspended")

    _press("EMN2", "commission")
    wait_for(lambda: len(_outcomes("EMN2")) == 1, "the failure outcome")
    [failed] = _outcomes("EMN2")
    assert (failed.outcome, failed.type_no) == ("failed", system_events.TASK_FAILED)
    assert unknown in failed.memo
    assert "has no SIM with this ICCID" in failed.memo
    assert EMNIFY_TOKEN not in failed.memo
