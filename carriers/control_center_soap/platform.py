"""Control Center's SOAP API as a carrier platform: what it can do, and how to open an account's API.

What SOAP cannot do, it says: it has no rate plan listing (the Terminal and Sms services offer none), and
its usage is month to date only. Everything else is as on REST: status changes with EditTerminal, read-back
and drift with GetTerminalDetails (50 SIMs a call) and GetModifiedTerminals, SMS with the Sms service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from carriers.accounts import CarrierAccount
from carriers.control_center_soap import statuses as soap_statuses
from carriers.control_center_soap.client import BATCH, ControlCenterSoap
from carriers.platform import Capability, PlatformBase, SecretField, StatusRules
from config import get_config

KIND = "jasper-soap"
PASSWORD = SecretField("password", "password")
LICENSE_KEY = SecretField("license_key", "licence key")


class ControlCenterSoapPlatform(PlatformBase):
    kind: str = KIND
    rules: ClassVar[StatusRules] = soap_statuses
    label: str = "Cisco IoT Control Center (SOAP API)"
    capabilities: frozenset[Capability] = frozenset(
        {Capability.USAGE, Capability.SMS, Capability.CHANGES_SINCE}
    )
    statuses: tuple[str, ...] = soap_statuses.SETTABLE
    page_size: int = BATCH
    api_path: str = "/ws/service"  # https://api.jasperwireless.com/ws/service
    secret_fields: tuple[SecretField, ...] = (PASSWORD, LICENSE_KEY)

    def connect(
        self,
        account: CarrierAccount,
        *,
        timeout: float,
        connect_timeout: float,
        before_call: Callable[[], None] | None = None,
    ) -> ControlCenterSoap:
        config = get_config()
        return ControlCenterSoap(
            account.server_address,
            account.user_name,
            account.secrets.get(PASSWORD.name, ""),
            account.secrets.get(LICENSE_KEY.name, ""),
            timeout=timeout,
            connect_timeout=connect_timeout,
            before_call=before_call,
            deadline_s=config.carrier_deadline_s,
            max_answer_bytes=config.carrier_max_answer_bytes,
        )
