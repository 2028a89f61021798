"""Control Center's REST API as a carrier platform: what it can do, and how to open an account's API."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from carriers.accounts import CarrierAccount
from carriers.control_center_rest import statuses as cc_statuses
from carriers.control_center_rest.client import PAGE_SIZE, ControlCenterApi
from carriers.platform import Capability, PlatformBase, SecretField, StatusRules
from config import get_config

KIND = "jasper-rest"
API_KEY = SecretField("api_key", "API key")


class ControlCenterRest(PlatformBase):
    kind: str = KIND
    rules: ClassVar[StatusRules] = cc_statuses
    label: str = "Cisco IoT Control Center (REST API)"
    capabilities: frozenset[Capability] = frozenset(Capability)
    statuses: tuple[str, ...] = cc_statuses.SETTABLE
    page_size: int = PAGE_SIZE
    api_path: str = "/rws/api/v1"  # https://restapi1.jasper.com/rws/api/v1
    secret_fields: tuple[SecretField, ...] = (API_KEY,)

    def connect(
        self,
        account: CarrierAccount,
        *,
        timeout: float,
        connect_timeout: float,
        before_call: Callable[[], None] | None = None,
    ) -> ControlCenterApi:
        config = get_config()
        return ControlCenterApi(
            account.server_address,
            account.user_name,
            account.secret,
            timeout=timeout,
            connect_timeout=connect_timeout,
            before_call=before_call,
            deadline_s=config.carrier_deadline_s,
            max_answer_bytes=config.carrier_max_answer_bytes,
        )
