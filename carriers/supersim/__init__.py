"""Super SIM over its REST API, on Twilio's host or KORE's: communicator type kind ``supersim``.

``client.py`` makes the calls (Basic auth: Account SID and auth token), ``codes.py`` explains its
errors, ``statuses.py`` holds its statuses and rules, ``platform.py`` plugs it into the carrier layer.
"""

from carriers.supersim.platform import KIND, SuperSim

PLATFORM = SuperSim()

__all__ = ["KIND", "PLATFORM"]
