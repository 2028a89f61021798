"""The per-account call pacer: slots spaced 1/rate apart, shared by every process."""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing.synchronize import Event
from pathlib import Path

import fakeredis
import pytest
import redis
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from carriers.pacing import (
    SPACING_MARGIN,
    CallBudgetExhausted,
    DatabasePacer,
    FilePacer,
    Pacer,
    RedisPacer,
    account_key,
    make_pacer,
    wait_for_slot,
)
from config import Config
from tests.conftest import REDIS_URL


@pytest.fixture(params=["redis", "file", "postgresql"])
def pacer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pacer]:
    if request.param == "redis":
        yield RedisPacer(fakeredis.FakeRedis())
    elif request.param == "postgresql":
        engine = create_engine(request.getfixturevalue("postgres_database"))
        yield DatabasePacer(engine)
        engine.dispose()
    else:
        yield FilePacer(tmp_path / "pacing")


def _slot(pacer: Pacer) -> tuple[float, float, float]:
    """When the reserved slot is, as far as this side can tell (the pacer reads its clock somewhere
    during the call, so the slot is the wait after a moment between the call's start and its end), the
    wait, and how long the call took."""
    before = time.monotonic()
    wait = pacer.reserve("acct", 0.5, 10)
    after = time.monotonic()
    assert wait is not None
    return before + wait, wait, after - before


def test_consecutive_reservations_are_spaced_by_the_interval(pacer: Pacer) -> None:
    # Spacing judged by the slots, not the waits: a slow database (a busy machine) makes calls take a
    # while, which shortens the next wait without moving any slot.
    slots = [_slot(pacer) for _ in range(4)]
    assert slots[0][1] == pytest.approx(0, abs=0.01)  # the first slot is free at once
    for (earlier, _, took_earlier), (later, _, took_later) in itertools.pairwise(slots):
        assert later - earlier == pytest.approx(0.5, abs=0.01 + took_earlier + took_later)


def _one_interval_after(wait: float | None, interval_s: float, since: float) -> bool:
    """Whether ``wait`` ends one interval after the slot reserved at ``since``: the time the calls
    took in between (a slow database on a busy machine) shortens the wait, never the slot."""
    elapsed = time.monotonic() - since
    return wait is not None and interval_s - elapsed - 0.01 <= wait <= interval_s + 0.01


def test_a_slot_too_far_away_is_not_taken(pacer: Pacer) -> None:
    since = time.monotonic()
    assert pacer.reserve("acct", 2.0, 1.0) is not None  # free now
    assert pacer.reserve("acct", 2.0, 1.0) is None  # 2 s away: refused, nothing reserved
    assert _one_interval_after(pacer.reserve("acct", 2.0, 3.0), 2.0, since)  # the refused one took no slot


def test_a_slot_set_at_a_tiny_rate_is_clamped_once_the_rate_is_fixed(pacer: Pacer) -> None:
    """Before, 1e-300 calls per second stored a slot 1e300 s ahead, and every later call on the
    account (whatever its rate) was refused for ever."""
    assert pacer.reserve("acct", 1e6, 5.0) == pytest.approx(0, abs=0.05)  # the longest interval taken
    since = time.monotonic()
    assert pacer.reserve("acct", 1.0, 5.0) == pytest.approx(0, abs=0.05)  # clamped: free now
    assert _one_interval_after(pacer.reserve("acct", 1.0, 5.0), 1.0, since)


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


def test_the_pacer_is_shared_by_every_host_whatever_the_broker(env: dict[str, str]) -> None:
    """Redis where there is one; PostgreSQL on a RabbitMQ deployment (before: a file per host, and two
    hosts on one 2 calls/s account drew 40000029 answers); a file only on the embedded default."""
    pg = "postgresql+psycopg://postgres@127.0.0.1/test"
    made = {
        (database, broker): type(make_pacer(Config(database_url=database, broker_url=broker)))
        for database, broker in [
            (pg, "redis://127.0.0.1:6379/0"),
            (pg, "amqp://guest:guest@127.0.0.1:5672//"),
            ("", ""),
        ]
    }
    assert list(made.values()) == [RedisPacer, DatabasePacer, FilePacer]


def test_account_key_depends_on_host_and_user_not_on_secrets() -> None:
    one = account_key("https://a.example/rws/api/v1", "u")
    assert one == account_key("https://a.example/rws/api/v1", "u")
    assert one != account_key("https://a.example/rws/api/v1", "v")
    assert one != account_key("https://b.example/rws/api/v1", "u")
    # One account's REST and SOAP APIs on one host: one budget, as Control Center counts it.
    assert one == account_key("https://a.example/ws/service", "u")


def _pacer_at(kind: str, where: str) -> Pacer:
    if kind == "redis":
        return RedisPacer(redis.Redis.from_url(where))
    if kind == "postgresql":
        return DatabasePacer(create_engine(where, poolclass=NullPool))
    return FilePacer(Path(where))


def _take_slots(kind: str, where: str, count: int, start: Event, out: multiprocessing.Queue[float]) -> None:
    pacer = _pacer_at(kind, where)
    out.put(-1.0)  # ready
    start.wait(30)
    for _ in range(count):
        wait_for_slot(pacer, "shared", calls_per_second=20, max_wait_s=10)
        out.put(time.time())


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["redis", "file", "postgresql"])
def test_processes_sharing_an_account_never_exceed_its_rate(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Four processes calling as fast as they can stay within 20 calls in each one-second window.

    Windows are the carrier's: fixed seconds of the wall clock. PostgreSQL is the pacer of hosts
    that share no Redis (a RabbitMQ deployment); before it, each host paced on a file of its own.
    """
    if kind == "redis":
        redis.Redis.from_url(REDIS_URL).delete("commissioner:pace:shared")
    where = {"redis": REDIS_URL, "file": str(tmp_path)}.get(kind) or request.getfixturevalue(
        "postgres_database"
    )
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
