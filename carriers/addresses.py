"""Where a carrier may be: the rules a communicator type's server address must keep.

A carrier account's credentials go to its server address in every call, so the address decides who
receives them. Only ``https://`` addresses on the public Internet are taken: plain ``http://`` would send
them in clear, and a loopback, link-local, private or otherwise reserved address would let whoever may
edit a communicator type aim the stored key (or Test connection) at a host inside the centre's network.
``COMMISSIONER_ALLOW_INSECURE_CARRIERS=true`` lifts both rules, for a simulator on this machine (the demo,
tests, benchmarks, training).

Names are checked where they are and again once resolved, when a connection is opened
(``check_resolved``): a public name that resolves to a private address is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from config import get_config

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class AddressRefused(ValueError):
    """The address breaks a rule above; the message says which, for staff."""


def allowed_insecure() -> bool:
    return get_config().allow_insecure_carriers


def check(address: str) -> None:
    """Refuse ``address`` unless it is https:// and not a local or private host (see the module)."""
    if allowed_insecure():
        return
    parts = urlsplit(address)
    if parts.scheme != "https":
        raise AddressRefused(
            f"server address {address!r} must start with https:// (the credentials go with every call); "
            "COMMISSIONER_ALLOW_INSECURE_CARRIERS=true allows http:// for a simulator"
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise _local(address)
    ip = _ip(host)
    if ip is not None and not ip.is_global:
        raise _local(address)


def check_resolved(address: str) -> None:
    """Refuse ``address`` if its host resolves to a non-public address (the rule of ``check``, after
    DNS). A name that does not resolve is left to the connection, which fails as unreachable."""
    if allowed_insecure():
        return
    host = urlsplit(address).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return
    for *_rest, sockaddr in found:
        ip = _ip(str(sockaddr[0]))
        if ip is not None and not ip.is_global:
            raise _local(address)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _local(address: str) -> AddressRefused:
    return AddressRefused(
        f"server address {address!r} is a loopback, link-local, private or reserved address; a carrier "
        "is on the Internet (COMMISSIONER_ALLOW_INSECURE_CARRIERS=true allows a simulator on this machine)"
    )
