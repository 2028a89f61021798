"""A Cisco IoT Control Center (Jasper) simulator: a real HTTP server speaking the REST API.

Used by the demo, the tests and the benchmarks, and by monitoring centres for training. Faults
(latency, errors, hangs, outages, rate limits, delayed apply) can be switched on while it runs,
through `Faults` or the /_admin endpoints.
"""

from simulator.app import create_app
from simulator.server import serve
from simulator.state import Faults, SimulatorConfig, load_sims

__all__ = ["Faults", "SimulatorConfig", "create_app", "load_sims", "serve"]
