"""emnify (multi-network IoT SIMs) over its REST API: communicator type kind ``emnify``.

``client.py`` makes the calls (application token -> JWT), ``codes.py`` explains its errors,
``statuses.py`` holds its SIM statuses and rules, ``platform.py`` plugs it into the carrier layer.
"""

from carriers.emnify.platform import KIND, Emnify

PLATFORM = Emnify()

__all__ = ["KIND", "PLATFORM"]
