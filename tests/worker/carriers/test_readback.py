"""Shared read-backs: threads confirming changes on one account share one Search Devices call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from simulator import SimulatorConfig
from simulator.server import make_server
from tests.simulator.test_server import AUTH, wait_until_answering
from worker.carriers import readback
from worker.carriers.errors import CarrierUnavailable
from worker.carriers.jasper import DeviceDetails, DeviceSummary, JasperClient
from worker.tasks.jasper import change_status

CHANGED_AT = datetime(2026, 11, 23, 5, 0, 7, tzinfo=UTC)


def iccid(n: int) -> str:
    return f"89882167169700{n:05d}"


class FakeAccount:
    """A carrier account's reads: statuses by ICCID; the search shows only the SIMs in ``changed``."""

    def __init__(self, statuses: dict[str, str], changed: set[str] | None = None) -> None:
        self.statuses = statuses
        self.changed = set(statuses) if changed is None else changed
        self.calls: list[tuple[str, Any]] = []
        self.gate = threading.Event()  # get_device waits for it when blocking is set
        self.blocking = False
        self.failure: Exception | None = None

    def get_device(self, iccid: str) -> DeviceDetails:
        self.calls.append(("get", iccid))
        if self.blocking:
            assert self.gate.wait(10)
        return DeviceDetails(iccid, self.statuses[iccid], None, None, None, None, None, raw={})

    def search_devices(self, modified_since: datetime) -> Iterator[DeviceSummary]:
        self.calls.append(("search", modified_since))
        if self.failure is not None:
            raise self.failure
        for iccid in sorted(self.changed):
            yield DeviceSummary(iccid, self.statuses[iccid], None, None, raw={})


def waiting(account: FakeAccount) -> int:
    return len(readback._shared(account)._waiting)  # type: ignore[arg-type]


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def read_while_one_runs(account: FakeAccount, others: list[str]) -> tuple[str, list[Any]]:
    """The first SIM's read runs (blocked) while ``others`` arrive; then it is let go. Returns what
    the first and each other waiter got (a status, or the exception raised)."""

    def read(sim: str, changed_at: datetime) -> Any:
        try:
            return readback.status(account, sim, changed_at)  # type: ignore[arg-type]
        except Exception as exc:
            return exc

    account.blocking = True
    with ThreadPoolExecutor(len(others) + 1) as pool:
        first = pool.submit(read, iccid(0), CHANGED_AT)
        wait_for(lambda: account.calls == [("get", iccid(0))])
        later = [pool.submit(read, sim, CHANGED_AT + timedelta(seconds=n)) for n, sim in enumerate(others)]
        wait_for(lambda: waiting(account) == len(others))
        account.blocking = False
        account.gate.set()
        return first.result(), [future.result() for future in later]


def test_a_lone_change_is_read_directly() -> None:
    account = FakeAccount({iccid(1): "ACTIVATED"})

    assert readback.status(account, iccid(1), CHANGED_AT) == "ACTIVATED"  # type: ignore[arg-type]
    assert account.calls == [("get", iccid(1))]


def test_changes_waiting_while_a_read_runs_share_one_search_from_a_second_before_the_first() -> None:
    others = [iccid(n) for n in range(1, 31)]
    account = FakeAccount({iccid(0): "DEACTIVATED"} | dict.fromkeys(others, "ACTIVATED"))

    first, later = read_while_one_runs(account, others)

    assert first == "DEACTIVATED"
    assert later == ["ACTIVATED"] * len(others)
    assert account.calls == [("get", iccid(0)), ("search", CHANGED_AT - timedelta(seconds=1))]


def test_a_sim_the_search_does_not_show_is_read_directly() -> None:
    others = [iccid(1), iccid(2), iccid(3)]
    statuses = {iccid(0): "ACTIVATED", iccid(1): "ACTIVATED", iccid(2): "DEACTIVATED", iccid(3): "ACTIVATED"}
    account = FakeAccount(statuses, changed={iccid(1), iccid(3)})

    _, later = read_while_one_runs(account, others)

    assert later == ["ACTIVATED", "DEACTIVATED", "ACTIVATED"]
    assert account.calls[1][0] == "search"
    assert account.calls[2:] == [("get", iccid(2))]


def test_a_failed_shared_read_fails_every_change_waiting_on_it() -> None:
    others = [iccid(1), iccid(2)]
    account = FakeAccount({iccid(0): "ACTIVATED", iccid(1): "ACTIVATED", iccid(2): "ACTIVATED"})
    account.failure = CarrierUnavailable("Control Center did not answer in time")

    first, later = read_while_one_runs(account, others)

    assert first == "ACTIVATED"
    assert [type(result) for result in later] == [CarrierUnavailable, CarrierUnavailable]
    assert later[0] is not later[1]  # each thread raises its own copy
    assert str(later[0]) == "Control Center did not answer in time"
    # The next change is not held by the failure.
    account.failure = None
    assert readback.status(account, iccid(1), CHANGED_AT) == "ACTIVATED"  # type: ignore[arg-type]


def test_a_change_without_a_carrier_time_is_read_directly() -> None:
    account = FakeAccount({iccid(1): "ACTIVATED"}, changed=set())

    assert readback.status(account, iccid(1), None) == "ACTIVATED"  # type: ignore[arg-type]
    assert account.calls == [("get", iccid(1))]


# -- against the simulator, over HTTP ----------------------------------------------------------------

USER, KEY = AUTH  # wait_until_answering knocks with these
SIMS = 40


@pytest.fixture
def simulator_url() -> Iterator[str]:
    sims = [{"iccid": iccid(n), "status": "ACTIVATION_READY"} for n in range(SIMS)]
    server = make_server(SimulatorConfig(USER, KEY, sims=sims, seed=1), port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/rws/api/v1"
    try:
        wait_until_answering(f"{url}/echo/ready", deadline_s=10)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_concurrent_commissions_are_confirmed_with_fewer_reads_than_changes(simulator_url: str) -> None:
    barrier = threading.Barrier(SIMS)
    with JasperClient(simulator_url, USER, KEY) as client, ThreadPoolExecutor(SIMS) as pool:

        def commission(n: int) -> str:
            barrier.wait()
            return change_status(client, iccid(n), "ACTIVATED").text

        reports = list(pool.map(commission, range(SIMS)))
    calls = [(call["method"], call["path"]) for call in _calls(simulator_url)]

    assert reports == ["ACTIVATED, confirmed by the carrier"] * SIMS
    changes = [call for call in calls if call[0] == "PUT"]
    reads = [call for call in calls if call[0] == "GET"]
    assert len(changes) == SIMS
    # Every change waits for the read running when it arrives, then shares the next one.
    assert len(reads) <= SIMS // 4, reads


def _calls(api_url: str) -> list[dict[str, Any]]:
    """The simulator's call log (its admin API takes the account's credentials)."""
    admin = httpx.get(api_url.removesuffix("/rws/api/v1") + "/_admin/calls", auth=(USER, KEY))
    admin.raise_for_status()
    return [call for call in admin.json()["calls"] if "/devices" in call["path"]]
