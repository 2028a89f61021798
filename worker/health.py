"""The worker's health check, for docker-compose and other supervisors.

While a worker consumes tasks, its consumer touches a heartbeat file every ``HEARTBEAT_INTERVAL_S``
(``COMMISSIONER_HEARTBEAT_FILE``, default ``<data_dir>/worker.heartbeat``). The timer runs in the
consumer's event loop (on Redis), so a stalled loop or a lost broker connection (the consumer stops its
steps while it reconnects) lets the file go stale; a warm shutdown removes it.
``python -m worker.health worker`` exits 1, with the reason on stderr, when the file is missing or older
than ``--max-age`` seconds. It is cheaper than ``celery inspect ping``, which starts a Celery client and
a broadcast round trip every time. (The web app answers ``/healthz`` itself.)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from celery import bootsteps

from config import Config, get_config

HEARTBEAT_INTERVAL_S = 10.0
DEFAULT_MAX_AGE_S = 60.0


def heartbeat_path(config: Config) -> Path:
    """Where the worker's heartbeat file is."""
    return config.heartbeat_file or config.data_dir / "worker.heartbeat"


def touch(path: Path) -> None:
    """Mark the worker alive now."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


class HeartbeatFile(bootsteps.StartStopStep):  # type: ignore[misc]  # Celery is untyped
    """A consumer step: touch the heartbeat file while the worker consumes tasks."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.path = heartbeat_path(get_config())
        self._timer: Any = None

    def start(self, parent: Any) -> None:
        touch(self.path)
        self._timer = parent.timer.call_repeatedly(HEARTBEAT_INTERVAL_S, touch, (self.path,))

    def stop(self, parent: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def shutdown(self, parent: Any) -> None:
        self.stop(parent)
        # A worker that shut down is not healthy, even within the max age.
        self.path.unlink(missing_ok=True)


def check_worker(path: Path, max_age_s: float, now: float | None = None) -> str | None:
    """None if the heartbeat at ``path`` is fresh, else why not."""
    try:
        age = (now if now is not None else time.time()) - path.stat().st_mtime
    except FileNotFoundError:
        return f"no heartbeat file at {path}: the worker is not running (or not consuming yet)"
    if age > max_age_s:
        return f"the worker's heartbeat at {path} is {age:.0f} s old (more than {max_age_s:.0f} s)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker.health", description=__doc__.split("\n")[0])
    checks = parser.add_subparsers(dest="check", required=True)
    worker = checks.add_parser("worker", help="the worker's heartbeat file is fresh")
    worker.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE_S, help="seconds")
    args = parser.parse_args(argv)
    problem = check_worker(heartbeat_path(get_config()), args.max_age)
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
