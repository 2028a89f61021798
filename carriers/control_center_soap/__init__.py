"""Cisco IoT Control Center (formerly Jasper) over its SOAP API: communicator type kind ``jasper-soap``.

The credentials of IBM Watson IoT's Jasper extension and of older reseller accounts: user name, password
and licence key. ``client.py`` makes the calls with zeep from the WSDL in ``wsdl/``, ``codes.py`` explains
its fault codes, ``statuses.py`` holds its SIM statuses, ``platform.py`` plugs it into the carrier layer.
"""

from carriers.control_center_soap.platform import KIND, ControlCenterSoapPlatform

PLATFORM = ControlCenterSoapPlatform()

__all__ = ["KIND", "PLATFORM"]
