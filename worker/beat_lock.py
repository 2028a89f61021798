"""One beat at a time, enforced: beat schedules the relay, the reconciler and the broker's pruning, and two
would do each twice as often. Whoever starts second waits, and takes over when the first one stops.

The lock lives where every host can see it: a PostgreSQL advisory lock held by the beat's own database
session (released by PostgreSQL when that session ends, whatever kills the process); on the embedded
default (one host), an exclusive lock on a file in the data dir.

A beat that loses its PostgreSQL session (a database restart, a failover) takes the lock again as soon as the
database answers, and goes on scheduling: exiting instead would leave nothing sweeping the relay unless a
supervisor restarts it. If another beat took the lock meanwhile, this one exits, so that its supervisor
restarts it and it waits its turn. Until then both may send a few sweeps: the relay and everything else beat
schedules are safe to run twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from celery import signals
from celery.beat import PersistentScheduler
from sqlalchemy import Connection, text

from config import get_config
from config.files import private_directory, private_file
from models.db import get_engine

log = logging.getLogger(__name__)

# The advisory lock's key: any fixed 64-bit number that no other lock in the database uses.
LOCK_KEY = 0x636F6D6D6973_0001
POLL_S = 2.0
WATCH_S = 10.0

_held: list[object] = []  # the held lock (a connection or a file descriptor) lives as long as beat


def install() -> None:
    """Make every beat of this process take the lock before it schedules anything."""
    signals.beat_init.connect(_take_the_schedule, weak=False, dispatch_uid="commissioner-beat-lock")


class DataDirScheduler(PersistentScheduler):  # type: ignore[misc]  # celery has no type hints
    """Beat's record of when each entry last ran, in the data dir, which it makes first (private):
    celery opens the file before any signal of beat's, and cannot make a missing directory."""

    def setup_schedule(self) -> None:
        private_directory(Path(self.schedule_filename).parent)
        super().setup_schedule()


def _take_the_schedule(**_: Any) -> None:
    config = get_config()
    if config.embedded:
        _held.append(_file_lock(private_directory(config.data_dir) / "beat.lock"))
    else:
        connection = _database_lock()
        _held.append(connection)
        threading.Thread(target=_watch, args=(connection,), name="beat-lock-watch", daemon=True).start()
    log.info("beat holds the schedule: it is the only one")


def _file_lock(path: Path) -> int:
    fd = os.open(private_file(path), os.O_RDWR)
    waited = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            waited = _waiting(waited)


def _database_lock() -> Connection:
    waited = False
    while (connection := _try_lock()) is None:
        waited = _waiting(waited)
    return connection


def _try_lock() -> Connection | None:
    """A connection holding the lock, or None while another beat holds it; raises if the database fails."""
    connection = get_engine().connect()
    try:
        if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
            connection.commit()  # the lock is the session's, not the transaction's
            return connection
    except Exception:
        connection.invalidate()
        raise
    connection.close()
    return None


def _waiting(waited: bool) -> bool:
    if not waited:
        log.warning("another beat holds the schedule: this one waits, and takes over if that one stops")
    time.sleep(POLL_S)
    return True


def _watch(connection: Connection) -> None:
    while True:
        time.sleep(WATCH_S)
        if not _alive(connection):
            log.warning("beat lost its database session, and with it the schedule lock: taking it again")
            connection = _take_again()
            _held[:] = [connection]
            log.warning("beat holds the schedule again: it is the only one")


def _alive(connection: Connection) -> bool:
    try:
        connection.execute(text("SELECT 1")).scalar()
        connection.rollback()
        return True
    except Exception:
        connection.invalidate()
        return False


def _take_again() -> Connection:
    """The lock once the database answers again; exits if another beat holds it by then."""
    while True:
        try:
            connection = _try_lock()
        except Exception:
            time.sleep(POLL_S)  # the database is still away
            continue
        if connection is not None:
            return connection
        log.critical("another beat took the schedule while this one was cut off from the database: exiting")
        os._exit(3)
