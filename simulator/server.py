"""Running the simulator as a real HTTP server with uvicorn."""

from __future__ import annotations

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
