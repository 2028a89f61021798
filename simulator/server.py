"""Running the simulator as a real HTTP server with uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from simulator.app import create_app
from simulator.state import SimulatorConfig

# A hanging call (the timeout fault) must not hold a shutdown for its full hang.
_GRACEFUL_SHUTDOWN_SECONDS = 3


def make_server(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 8080) -> uvicorn.Server:
    """A uvicorn server for the simulator, not started: `.run()` blocks; `should_exit` stops it.

    Port 0 picks a free port. Quiet (warnings only, no access log); no websockets.
    """
    settings = uvicorn.Config(
        create_app(config),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="off",
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
    )
    return uvicorn.Server(settings)


def serve(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the simulator until interrupted (Ctrl-C or SIGTERM). Blocks."""
    make_server(config, host, port).run()


@contextmanager
def in_thread(config: SimulatorConfig, start_timeout_s: float = 10.0) -> Iterator[str]:
    """The simulator on a free port of 127.0.0.1, in a thread of this process (for tests and benchmarks):
    yields its base address (http://127.0.0.1:PORT) once it listens, and stops it on leaving."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = make_server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
