"""The SIM console's web tests: a real Control Center simulator (its own process, over HTTP) and a
client whose SIMs it manages. No worker runs: requests are logged and their messages captured."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from carriers import pool
from centre import communicator_types
from cli.processes import free_port, start_simulator, stop
from models.db import unit_of_work
from tests import factories as f

SIM_USER, SIM_KEY = "centre", "sim-console-k3y-never-shown"
CODE = "S1"
CARRIER = "Sim carrier"
FAST = 1000.0  # calls per second: the tests do not wait for the account's pacing


@dataclass(frozen=True)
class Carrier:
    url: str

    @property
    def address(self) -> str:
        return f"{self.url}/rws/api/v1"

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's admin API (its SIMs, scripted errors, call log)."""
        answer = httpx.request(
            method, f"{self.url}/_admin{path}", json=body, auth=(SIM_USER, SIM_KEY), timeout=5
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def reset(self) -> None:
        self.admin("POST", "/reset")

    def load(self, iccid: str, status: str, **fields: str) -> None:
        """Put the SIM at the carrier in ``status`` (ACTIVATED ones count as once activated)."""
        self.admin("POST", "/sims", [{"iccid": iccid, "status": status, **fields}])

    def status(self, iccid: str) -> str:
        answer = httpx.get(f"{self.address}/devices/{iccid}", auth=(SIM_USER, SIM_KEY), timeout=5)
        return str(answer.json()["status"])

    def script_error(self, iccid: str, code: str, count: int = 1) -> None:
        self.admin("POST", "/errors", [{"iccid": iccid, "errorCode": code, "count": count}])


@contextmanager
def running() -> Iterator[Carrier]:
    """The simulator on a free port (lenient: any well-formed ICCID is a SIM in ACTIVATION_READY)."""
    port = free_port()
    proc = start_simulator(port, SIM_USER, SIM_KEY, env=os.environ)
    try:
        yield Carrier(f"http://127.0.0.1:{port}")
    finally:
        stop(proc)


def add_client(
    carrier_address: str, *numbers: int, code: str = CODE, comm: str = CARRIER, api_key: str = SIM_KEY
) -> list[str]:
    """A client ``code`` whose SIMs ``numbers`` are on a communicator type of the simulator; their ICCIDs.

    Needs the seeded Jasper setup (the ``world`` fixture makes it).
    """
    with unit_of_work() as session:
        communicator_types.add(
            session, comm, carrier_address, SIM_USER, api_key, f.OPERATOR, calls_per_second=FAST
        )
        return f.sims(session, f.client(session, code), *numbers, comm=comm)


@contextmanager
def fresh_carrier_clients() -> Iterator[None]:
    """Each test its own carrier clients (and pacer, in its own data directory), closed after it."""
    pool.close_all()  # what earlier tests left open, too
    try:
        yield
    finally:
        pool.close_all()


@pytest.fixture(scope="module")
def carrier() -> Iterator[Carrier]:
    """The simulator, running for the test module."""
    with running() as started:
        yield started


@pytest.fixture
def own_carrier_clients() -> Iterator[None]:
    """Carrier clients of the test's own (the simulator's address changes between modules)."""
    with fresh_carrier_clients():
        yield
