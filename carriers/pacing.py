"""Pace carrier calls per carrier account, across every worker process on every host.

Control Center counts calls per account in one-second windows and answers 40000029 over the limit.
Celery's rate_limit is per worker, so the budget is kept in one place that every host shares: Redis
when there is one (the broker, or ``pacing_redis_url``), else the PostgreSQL database (a RabbitMQ
deployment); a locked file only on the embedded default (SQLite: one host). Each call reserves the next
free slot, spaced 1/rate apart (GCRA with no burst), on the shared store's clock, and sleeps until it.
A call whose slot is further away than ``max_wait_s`` takes no slot and is retried later instead, so no
worker slot is held through a long wait.

A stored slot further ahead than any reservation at the current rate could have put it (the rate was
lowered, or was once absurdly small) is clamped back to now: a fixed rate takes effect at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from pathlib import Path
from typing import Protocol

import httpx
import redis
from sqlalchemy import Engine, text

from carriers.errors import CarrierRateLimited
from config import Config
from models.db import get_engine

# Slots are spaced a little wider than 1/rate: a call lands at the carrier a few milliseconds after it
# is sent, and two calls exactly 1/rate apart could fall into the same one-second window.
SPACING_MARGIN = 1.02
# No slot is further apart than this, whatever rate a communicator type once had (1e-300 calls/s
# pushed a slot 1e300 s ahead); communicator types take 0.01 calls/s at the least.
MAX_INTERVAL_S = 1e6


class Pacer(Protocol):
    def reserve(self, key: str, interval_s: float, max_wait_s: float) -> float | None:
        """Take the next call slot for ``key``: seconds to wait until it, or None (no slot taken)
        when that would be more than ``max_wait_s``."""
        ...


# KEYS[1]: the account's key. ARGV: interval and max wait in microseconds. Redis's own clock, so hosts
# with skewed clocks share one timeline. Returns the wait in microseconds, or -1 when too far away.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
if next_free > now + tonumber(ARGV[2]) + interval then
  next_free = now
end
local slot = math.max(now, next_free)
local wait = slot - now
if wait > tonumber(ARGV[2]) then
  return -1
end
redis.call('SET', KEYS[1], tostring(slot + interval), 'PX', math.floor((wait + interval) / 1000) + 1000)
return wait
"""


class RedisPacer:
    def __init__(self, client: redis.Redis) -> None:
        self._script = client.register_script(_RESERVE)

    def reserve(self, key: str, interval_s: float, max_wait_s: float) -> float | None:
        wait_us = int(
            self._script(keys=[f"commissioner:pace:{key}"], args=[_us(interval_s), _us(max_wait_s)])
        )
        return None if wait_us < 0 else wait_us / 1_000_000


class FilePacer:
    """One host's pacer: the next free slot of each key in a small file, under an exclusive lock."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def reserve(self, key: str, interval_s: float, max_wait_s: float) -> float | None:
        self._directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._directory / f"{key}.pace", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0).decode().strip()
            now = time.time()
            slot = next_slot(now, float(raw) if raw else 0.0, interval_s, max_wait_s)
            if slot is None:
                return None
            encoded = f"{slot + interval_s:.6f}".encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, encoded, 0)
            return slot - now
        finally:
            os.close(fd)  # closing releases the lock


class DatabasePacer:
    """Every host's pacer without Redis: the next free slot of each key in a row of ``pacing_slot``,
    locked for the few milliseconds of a reservation, on PostgreSQL's clock."""

    _READ = text(
        "SELECT next_free, extract(epoch FROM clock_timestamp()) FROM pacing_slot WHERE key = :key FOR UPDATE"
    )
    _ADD = text("INSERT INTO pacing_slot (key, next_free) VALUES (:key, 0) ON CONFLICT (key) DO NOTHING")
    _SET = text("UPDATE pacing_slot SET next_free = :next_free WHERE key = :key")

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine  # None: the process's engine for the configured database, looked up each time

    def reserve(self, key: str, interval_s: float, max_wait_s: float) -> float | None:
        with (self._engine or get_engine()).begin() as conn:
            row = conn.execute(self._READ, {"key": key}).first()
            if row is None:
                conn.execute(self._ADD, {"key": key})
                row = conn.execute(self._READ, {"key": key}).one()
            next_free, now = float(row[0]), float(row[1])
            slot = next_slot(now, next_free, interval_s, max_wait_s)
            if slot is None:
                return None
            conn.execute(self._SET, {"key": key, "next_free": slot + interval_s})
            return slot - now


def next_slot(now: float, next_free: float, interval_s: float, max_wait_s: float) -> float | None:
    """The slot a call reserving now takes (None: too far away), with a stale stored slot clamped."""
    if next_free > now + max_wait_s + interval_s:
        next_free = now  # set at a slower rate than now: no reservation at this one reaches so far
    slot = max(now, next_free)
    return None if slot - now > max_wait_s else slot


def _us(seconds: float) -> int:
    return int(seconds * 1_000_000)


def account_key(server_address: str, user_name: str) -> str:
    """The pacing key of a carrier account: the carrier counts calls per account, not per record.

    The host and user name, not the API path: Control Center counts its REST and SOAP calls against one
    budget, so two communicator types of one account, one per API on one host, share their slots.
    """
    try:
        url = httpx.URL(server_address.strip())
        where = f"{url.host}:{url.port}" if url.host else server_address
    except httpx.InvalidURL:
        where = server_address
    return hashlib.sha256(f"{where}\n{user_name}".encode()).hexdigest()[:32]


def make_pacer(config: Config) -> Pacer:
    """Redis when the broker (or ``pacing_redis_url``) is Redis; else PostgreSQL, the store every host
    shares whatever the broker; a file in the data dir only on the embedded default (one host)."""
    url = config.pacing_redis_url or config.effective_broker_url
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisPacer(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))
    if not config.embedded:
        return DatabasePacer()
    return FilePacer(config.data_dir / "pacing")


class CallBudgetExhausted(CarrierRateLimited):
    """Our own pacing says the account's next free call slot is too far away: retry later."""


def wait_for_slot(pacer: Pacer, key: str, calls_per_second: float, max_wait_s: float) -> float:
    """Sleep until this call's slot and return how long that was; CallBudgetExhausted (with
    retry_after) if it is too far away."""
    interval = min(SPACING_MARGIN / calls_per_second, MAX_INTERVAL_S)
    wait = pacer.reserve(key, interval, max_wait_s)
    if wait is None:
        raise CallBudgetExhausted(
            "waiting for the carrier account's calls-per-second budget; the call is retried shortly",
            retry_after=max_wait_s,
        )
    if wait > 0:
        time.sleep(wait)
    return wait
