"""Shared read-backs: threads confirming changes on one account share one changes-since listing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from carriers import readback
from carriers.accounts import CarrierAccount
from carriers.control_center_rest import KIND, PLATFORM
from carriers.errors import CarrierUnavailable
from carriers.platform import SimDetails, SimSummary
from carriers.pool import Pressure, close_all
from features.commissioning import sim_job
from features.commissioning.sim_job import SimJob
from simulator import SimulatorConfig
from simulator.server import in_thread
from tests.simulator.test_server import AUTH

CHANGED_AT = datetime(2026, 11, 23, 5, 0, 7, tzinfo=UTC)
QUEUED = Pressure(calls_per_second=1000, last_wait_s=1.0)  # calls queue; answers go out 0.5 ms apart


def iccid(n: int) -> str:
    return f"89882167169700{n:05d}"


class FakeAccount:
    """A carrier account's reads: statuses by ICCID. Search number i shows the SIMs in ``shown[i]``
    (the last set for later searches; every SIM when ``shown`` is empty).

    A call whose kind ("get" or "search") is in ``holds`` waits for that event before answering.
    """

    def __init__(self, statuses: dict[str, str], *shown: set[str]) -> None:
        self.statuses = statuses
        self.shown = list(shown) or [set(statuses)]
        self.calls: list[tuple[str, Any]] = []
        self.holds: dict[str, threading.Event] = {}
        self.failure: Exception | None = None

    def get_sim(self, iccid: str) -> SimDetails:
        self.calls.append(("get", iccid))
        self._hold("get")
        status = self.statuses[iccid]
        return SimDetails(iccid, status, PLATFORM.state_of(status), None, None, None, None, None, raw={})

    def changed_since(self, modified_since: datetime) -> Iterator[SimSummary]:
        searches = sum(1 for call in self.calls if call[0] == "search")
        self.calls.append(("search", modified_since))
        self._hold("search")
        if self.failure is not None:
            raise self.failure
        for iccid in sorted(self.shown[min(searches, len(self.shown) - 1)]):
            yield SimSummary(iccid, self.statuses[iccid], None, None, raw={})

    def _hold(self, kind: str) -> None:
        if kind in self.holds:
            assert self.holds[kind].wait(10)


def waiting(account: FakeAccount) -> int:
    return len(readback._shared(account)._waiting)  # type: ignore[arg-type]


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def shows(
    account: FakeAccount,
    sim: str,
    wanted: str,
    changed_at: datetime | None = CHANGED_AT,
    pressure: Pressure = QUEUED,
) -> Any:
    """What readback.shows answers, or the exception it raised."""
    try:
        return readback.shows(account, PLATFORM, sim, wanted, changed_at, pressure)  # type: ignore[arg-type]
    except Exception as exc:
        return exc


def while_a_read_runs(
    account: FakeAccount, pool: ThreadPoolExecutor, kind: str, arrivals: list[tuple[str, str]]
) -> list[Future[Any]]:
    """Once a read of ``kind`` is held, the (SIM, wanted status) ``arrivals`` come and wait; then the
    read is let go. Returns their answers to come."""
    wait_for(lambda: any(call[0] == kind for call in account.calls))
    futures = [
        pool.submit(shows, account, sim, wanted, CHANGED_AT + timedelta(seconds=n))
        for n, (sim, wanted) in enumerate(arrivals)
    ]
    wait_for(lambda: waiting(account) == len(arrivals))
    account.holds[kind].set()
    return futures


def test_while_calls_do_not_queue_every_change_is_read_directly() -> None:
    account = FakeAccount({iccid(n): "ACTIVATED" for n in range(10)})
    calm = Pressure(calls_per_second=20, last_wait_s=0.05)  # waited for one call ahead, no more
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda n: shows(account, iccid(n), "ACTIVATED", pressure=calm), range(10)))

    assert answers == [True] * 10
    assert sorted(account.calls) == [("get", iccid(n)) for n in range(10)]


def test_a_lone_change_while_calls_queue_is_searched_for() -> None:
    account = FakeAccount({iccid(1): "ACTIVATED", iccid(2): "ACTIVATED"}, {iccid(1)})

    assert shows(account, iccid(1), "ACTIVATED") is True
    assert shows(account, iccid(2), "DEACTIVATED") is False  # not shown: read directly
    since = CHANGED_AT - timedelta(seconds=1)
    assert account.calls == [("search", since), ("search", since), ("get", iccid(2))]


def test_changes_waiting_while_a_read_runs_share_the_next_search() -> None:
    others = [iccid(n) for n in range(1, 31)]
    account = FakeAccount({iccid(0): "DEACTIVATED"} | dict.fromkeys(others, "ACTIVATED"), {iccid(0)}, set())
    account.shown[1] = set(account.statuses)  # the others' changes show from the second search on
    account.holds = {"search": threading.Event()}
    with ThreadPoolExecutor(len(others) + 1) as pool:
        first = pool.submit(shows, account, iccid(0), "DEACTIVATED")
        later = while_a_read_runs(account, pool, "search", [(sim, "ACTIVATED") for sim in others])

    assert first.result() is True
    assert [future.result() for future in later] == [True] * len(others)
    # One search from a second before the earliest of the 30 changes answers all of them.
    assert account.calls == [("search", CHANGED_AT - timedelta(seconds=1))] * 2


def test_a_search_settles_those_who_came_while_it_waited_only_if_it_shows_their_change() -> None:
    statuses = {iccid(n): "ACTIVATED" for n in range(1, 5)} | {iccid(5): "DEACTIVATED"}
    account = FakeAccount(statuses, {iccid(1), iccid(3), iccid(5)})
    account.holds = {"search": threading.Event()}
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(shows, account, iccid(1), "ACTIVATED")
        # While its search waits: 3 (shown, changed), 4 (not shown), 5 (shown, not changed yet).
        came = while_a_read_runs(account, pool, "search", [(iccid(n), "ACTIVATED") for n in (3, 4, 5)])

    assert [future.result() for future in [first, *came]] == [True, True, True, False]
    # 3 was settled by the first search; 4 and 5 shared the next, and 4, not shown, was read alone.
    assert [call[0] for call in account.calls] == ["search", "search", "get"]
    assert account.calls[2] == ("get", iccid(4))


def test_a_failed_shared_read_fails_every_change_waiting_on_it() -> None:
    account = FakeAccount({iccid(0): "ACTIVATED", iccid(1): "ACTIVATED", iccid(2): "ACTIVATED"})
    account.failure = CarrierUnavailable("Control Center did not answer in time")
    account.holds = {"search": threading.Event()}
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(shows, account, iccid(0), "ACTIVATED")
        arrivals = [(iccid(1), "ACTIVATED"), (iccid(2), "ACTIVATED")]
        later = [future.result() for future in while_a_read_runs(account, pool, "search", arrivals)]

    failed = [first.result(), *later]
    assert [type(result) for result in failed] == [CarrierUnavailable] * 3
    assert later[0] is not later[1]  # each thread raises its own copy
    assert str(later[0]) == "Control Center did not answer in time"
    assert [call[0] for call in account.calls] == ["search", "search"]  # the first's, then the pair's
    account.failure = None  # the next change is not held by the failure
    assert shows(account, iccid(1), "ACTIVATED") is True


def test_a_change_without_a_carrier_time_is_read_directly() -> None:
    account = FakeAccount({iccid(1): "ACTIVATED"}, set())

    assert shows(account, iccid(1), "ACTIVATED", changed_at=None) is True
    assert account.calls == [("get", iccid(1))]


# -- against the simulator, over HTTP ----------------------------------------------------------------

USER, KEY = AUTH  # wait_until_answering knocks with these
SIMS = 40


@pytest.fixture
def simulator_url() -> Iterator[str]:
    sims = [{"iccid": iccid(n), "status": "ACTIVATION_READY"} for n in range(SIMS)]
    with in_thread(SimulatorConfig(USER, KEY, sims=sims, seed=1)) as base_url:
        yield f"{base_url}/rws/api/v1"


def test_concurrent_commissions_under_a_limit_are_confirmed_with_few_reads(simulator_url: str) -> None:
    """40 commissions at once on an account paced at 20 calls/s: the changes queue for the budget, and
    the read-backs share searches."""
    close_all()
    account = CarrierAccount(1, KIND, simulator_url, USER, KEY, calls_per_second=20)
    barrier = threading.Barrier(SIMS)

    def commission(n: int) -> str:
        barrier.wait()
        return sim_job.change_status(SimJob(account, iccid(n), {}), "ACTIVATED").text

    try:
        with ThreadPoolExecutor(SIMS) as threads:
            reports = list(threads.map(commission, range(SIMS)))
    finally:
        close_all()
    calls = [(call["method"], call["path"]) for call in _calls(simulator_url)]

    assert reports == ["ACTIVATED, confirmed by the carrier"] * SIMS
    assert len([call for call in calls if call[0] == "PUT"]) == SIMS
    reads = [call for call in calls if call[0] == "GET"]
    # Read alone, each change would cost a read. The first few changes, before calls queue, are read
    # directly; the others share searches.
    assert len(reads) <= SIMS // 4, reads
    assert any(path.endswith("/devices") for _, path in reads), reads


def _calls(api_url: str) -> list[dict[str, Any]]:
    """The simulator's call log (its admin API takes the account's credentials)."""
    admin = httpx.get(api_url.removesuffix("/rws/api/v1") + "/_admin/calls", auth=(USER, KEY))
    admin.raise_for_status()
    return [call for call in admin.json()["calls"] if "/devices" in call["path"]]
