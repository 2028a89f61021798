"""Start and stop Commissioner's own processes (simulator, worker) for the demo and the tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.05) -> None:
    """Poll ``check`` until it is true; TimeoutError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval_s)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def start_simulator(
    port: int,
    user_name: str,
    api_key: str,
    extra: list[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``commissioner simulator`` and wait until it answers."""
    args = [
        sys.executable,
        "-m",
        "cli",
        "simulator",
        "--port",
        str(port),
        "--user-name",
        user_name,
        "--api-key",
        api_key,
    ]
    proc = subprocess.Popen(
        [*args, *(extra or [])],
        env=dict(env or os.environ),
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/rws/api/v1/echo/ready"

    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the simulator exited with code {proc.returncode}")
        try:
            return httpx.get(url, auth=(user_name, api_key), timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answers, 30, "the simulator to answer")
    return proc


def start_worker(
    env: Mapping[str, str] | None = None,
    concurrency: int = 2,
    beat: bool = True,
    extra: list[str] | None = None,
    log_path: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start a real Celery worker (with the relay's beat when ``beat``) as a child process.

    Its output goes to ``log_path`` when given, else to this process's stdout and stderr.
    """
    environ = dict(env or os.environ)
    args = [sys.executable, "-m", "celery", "-A", "worker", "worker", "--loglevel", "WARNING"]
    args += ["-c", str(concurrency)]
    if beat:
        args += ["--beat"]  # its schedule file goes to the data dir (worker/celery.py)
    output = open(log_path, "ab") if log_path else None  # noqa: SIM115 - the child owns it
    try:
        return subprocess.Popen(
            [*args, *(extra or [])], env=environ, start_new_session=True, stdout=output, stderr=output
        )
    finally:
        if output is not None:
            output.close()


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    """Stop a child politely (SIGTERM: a worker finishes its tasks), then its whole group firmly."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
