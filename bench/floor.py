"""The floor: a Celery task that does nothing, through the same app, broker and worker settings.

The worker under test imports this module (``--include bench.floor``). Each run appends one line,
``token wall-time``, to the file named by ``BENCH_FLOOR_LOG``: an O_APPEND write of a few bytes, so
the floor's measurement costs next to nothing and works on every broker.
"""

from __future__ import annotations

import os
import time

from worker.celery import app

NAME = "bench.noop"
QUEUE = "commissioner"
LOG_ENV = "BENCH_FLOOR_LOG"

_fd: int | None = None


def _log_fd() -> int:
    global _fd
    if _fd is None:
        _fd = os.open(os.environ[LOG_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    return _fd


def _forget_fd() -> None:
    global _fd
    _fd = None


os.register_at_fork(after_in_child=_forget_fd)


@app.task(name=NAME, ignore_result=True)  # type: ignore[untyped-decorator]  # Celery is untyped
def noop(token: int) -> None:
    """Note that message ``token`` was handled, and when."""
    os.write(_log_fd(), f"{token} {time.time():.6f}\n".encode())


def read_log(path: os.PathLike[str] | str) -> dict[int, float]:
    """Token -> wall time the worker handled it (the first time, should one arrive twice)."""
    done: dict[int, float] = {}
    try:
        with open(path) as lines:
            for line in lines:
                token, _, when = line.partition(" ")
                if when.strip():
                    done.setdefault(int(token), float(when))
    except FileNotFoundError:
        pass
    return done
