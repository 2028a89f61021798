"""Cisco IoT Control Center (formerly Jasper) over its REST API: communicator type kind ``jasper-rest``.

``client.py`` makes the calls, ``codes.py`` explains its error codes, ``statuses.py`` holds its SIM
statuses and rules, ``platform.py`` plugs it into the carrier layer.
"""

from carriers.control_center_rest.platform import KIND, ControlCenterRest

PLATFORM = ControlCenterRest()

__all__ = ["KIND", "PLATFORM"]
