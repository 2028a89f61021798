"""Where a carrier may be: https:// on a public host, unless insecure carriers are allowed (a simulator).

Before, plain http://, loopback, link-local and private addresses were taken, so whoever could edit a
communicator type could aim its stored key, or Test connection, at a host inside the centre's network;
and some addresses that validation took crashed Test connection (IDNA errors)."""

from __future__ import annotations

import pytest

from carriers import addresses, pool
from carriers.accounts import CarrierAccount
from carriers.control_center_rest import KIND
from carriers.errors import CarrierRejected
from centre import validation
from centre.errors import InvalidInput
from config import get_config

REFUSED = [
    "http://restapi1.jasper.com/rws/api/v1",
    "https://127.0.0.1/rws/api/v1",
    "https://localhost:8443/rws/api/v1",
    "https://api.localhost/rws/api/v1",
    "https://[::1]/rws/api/v1",
    "https://[::ffff:10.0.0.1]/rws/api/v1",
    "https://10.1.2.3/rws/api/v1",
    "https://172.16.0.9/rws/api/v1",
    "https://192.168.1.1/rws/api/v1",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/rws/api/v1",
    "https://0.0.0.0/rws/api/v1",
]


@pytest.fixture
def secure(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMISSIONER_ALLOW_INSECURE_CARRIERS", "false")
    get_config.cache_clear()


@pytest.mark.usefixtures("secure")
@pytest.mark.parametrize("address", REFUSED)
def test_plain_http_and_local_or_private_hosts_are_refused(address: str) -> None:
    with pytest.raises(InvalidInput, match=r"https://|loopback, link-local, private"):
        validation.server_address(address)


@pytest.mark.usefixtures("secure")
def test_a_public_https_address_is_taken() -> None:
    assert validation.server_address("https://restapi1.jasper.com/rws/api/v1/") == (
        "https://restapi1.jasper.com/rws/api/v1"
    )
    assert validation.server_address("https://8.8.8.8/rws/api/v1") == "https://8.8.8.8/rws/api/v1"


@pytest.mark.parametrize("address", REFUSED[:3])
def test_insecure_carriers_are_taken_when_allowed(env: dict[str, str], address: str) -> None:
    assert get_config().allow_insecure_carriers
    assert validation.server_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "https://a\u200d.example/rws/api/v1",
        "https://\u2100.example/rws/api/v1",
        f"https://{'a' * 64}.example/rws/api/v1",
        "https://ex..ample.com/rws/api/v1",
    ],
)
def test_host_names_no_connection_could_be_made_to_are_refused(env: dict[str, str], address: str) -> None:
    with pytest.raises(InvalidInput, match=r"not a valid address|host name that is not valid"):
        validation.server_address(address)


@pytest.mark.usefixtures("secure")
def test_a_name_that_resolves_to_a_private_address_is_refused_when_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checked when saved and again, resolved, when a connection is opened (nothing is sent)."""
    address = "https://carrier.example.com/rws/api/v1"
    validation.server_address(address)  # the name itself is fine
    monkeypatch.setattr(addresses.socket, "getaddrinfo", lambda *_a, **_k: [(2, 1, 6, "", ("10.0.0.7", 0))])
    account = CarrierAccount(1, KIND, address, "u", "k", 1.0)
    with pytest.raises(CarrierRejected, match="loopback, link-local, private"):
        pool.carrier(account)
    with pytest.raises(CarrierRejected, match="loopback, link-local, private"):
        pool.check_connection(account, 1.0)
