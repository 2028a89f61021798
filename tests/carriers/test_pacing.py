"""The per-account call pacer: slots spaced 1/rate apart, shared by every process."""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections import Counter
from multiprocessing.synchronize import Event
from pathlib import Path

import fakeredis
import pytest
import redis

from carriers.pacing import (
    SPACING_MARGIN,
    CallBudgetExhausted,
    FilePacer,
    Pacer,
    RedisPacer,
    account_key,
    wait_for_slot,
)
from tests.conftest import REDIS_URL


@pytest.fixture(params=["redis", "file"])
def pacer(request: pytest.FixtureRequest, tmp_path: Path) -> Pacer:
    if request.param == "redis":
        return RedisPacer(fakeredis.FakeRedis())
    return FilePacer(tmp_path / "pacing")


def test_consecutive_reservations_are_spaced_by_the_interval(pacer: Pacer) -> None:
    waits = [pacer.reserve("acct", 0.5, 10) for _ in range(4)]
    assert waits[0] == pytest.approx(0, abs=0.05)
    for earlier, later in itertools.pairwise(waits):
        assert earlier is not None
        assert later is not None
        assert later - earlier == pytest.approx(0.5, abs=0.05)


def test_a_slot_too_far_away_is_not_taken(pacer: Pacer) -> None:
    assert pacer.reserve("acct", 2.0, 1.0) is not None  # free now
    assert pacer.reserve("acct", 2.0, 1.0) is None  # 2 s away: refused, nothing reserved
    assert pacer.reserve("acct", 2.0, 3.0) == pytest.approx(2.0, abs=0.05)  # the refused one took no slot


def test_accounts_are_paced_independently(pacer: Pacer) -> None:
    assert pacer.reserve("a", 5.0, 10) == pytest.approx(0, abs=0.05)
    assert pacer.reserve("b", 5.0, 10) == pytest.approx(0, abs=0.05)


def test_wait_for_slot_sleeps_then_refuses_past_the_budget(tmp_path: Path) -> None:
    pacer = FilePacer(tmp_path)
    started = time.monotonic()
    wait_for_slot(pacer, "acct", calls_per_second=10, max_wait_s=1)
    wait_for_slot(pacer, "acct", calls_per_second=10, max_wait_s=1)
    assert time.monotonic() - started == pytest.approx(0.1 * SPACING_MARGIN, abs=0.05)
    wait_for_slot(pacer, "slow", calls_per_second=0.5, max_wait_s=1)
    with pytest.raises(CallBudgetExhausted) as refused:  # the next slot is 2 s away
        wait_for_slot(pacer, "slow", calls_per_second=0.5, max_wait_s=1)
    assert refused.value.retry_after == 1


def test_account_key_depends_on_host_and_user_not_on_secrets() -> None:
    one = account_key("https://a.example/rws/api/v1", "u")
    assert one == account_key("https://a.example/rws/api/v1", "u")
    assert one != account_key("https://a.example/rws/api/v1", "v")
    assert one != account_key("https://b.example/rws/api/v1", "u")


def _take_slots(kind: str, where: str, count: int, start: Event, out: multiprocessing.Queue[float]) -> None:
    pacer: Pacer = RedisPacer(redis.Redis.from_url(where)) if kind == "redis" else FilePacer(Path(where))
    out.put(-1.0)  # ready
    start.wait(30)
    for _ in range(count):
        wait_for_slot(pacer, "shared", calls_per_second=20, max_wait_s=10)
        out.put(time.time())


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["redis", "file"])
def test_processes_sharing_an_account_never_exceed_its_rate(kind: str, tmp_path: Path) -> None:
    """Four processes calling as fast as they can stay within 20 calls in each one-second window.

    Windows are the carrier's: fixed seconds of the wall clock.
    """
    if kind == "redis":
        redis.Redis.from_url(REDIS_URL).delete("commissioner:pace:shared")
    where = REDIS_URL if kind == "redis" else str(tmp_path)
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[float] = context.Queue()
    start = context.Event()
    procs = [context.Process(target=_take_slots, args=(kind, where, 15, start, out)) for _ in range(4)]
    for proc in procs:
        proc.start()
    for _ in procs:  # all children imported and ready, so they start pacing together
        assert out.get(timeout=30) == -1.0
    start.set()
    times = sorted(out.get(timeout=30) for _ in range(60))
    for proc in procs:
        proc.join(10)
    per_second = Counter(int(t) for t in times)
    assert max(per_second.values()) <= 20
    assert times[-1] - times[0] == pytest.approx(59 / 20 * SPACING_MARGIN, rel=0.1)
