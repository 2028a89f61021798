"""Super SIM (Twilio or KORE host) as a carrier platform: what it can do, how to open an account."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from carriers.accounts import CarrierAccount
from carriers.platform import Capability, PlatformBase, SecretField, StatusRules
from carriers.supersim import statuses as supersim_statuses
from carriers.supersim.client import PAGE_SIZE, SuperSimApi
from config import get_config

KIND = "supersim"
OAUTH2_KIND = "supersim-oauth2"


class SuperSim(PlatformBase):
    kind: str = KIND
    rules: ClassVar[StatusRules] = supersim_statuses
    # One secret, under the name the API and the stored token use for every single-secret platform.
    secret_fields: tuple[SecretField, ...] = (SecretField("api_key", "auth token"),)
    label: str = "Super SIM (Twilio or KORE)"
    # No rate plans: a SIM's limits come from its Fleet. No terminate: the API cannot end a SIM's life.
    capabilities: frozenset[Capability] = frozenset(
        {Capability.USAGE, Capability.SMS, Capability.CHANGES_SINCE}
    )
    statuses: tuple[str, ...] = supersim_statuses.SETTABLE
    page_size: int = PAGE_SIZE
    api_path: str = "/v1"  # https://supersim.twilio.com/v1 or https://supersim.api.korewireless.com/v1
    automatic_moves: frozenset[tuple[str, str]] = supersim_statuses.AUTOMATIC
    transitional: frozenset[str] = supersim_statuses.TRANSITIONAL
    oauth2: bool = False

    def connect(
        self,
        account: CarrierAccount,
        *,
        timeout: float,
        connect_timeout: float,
        before_call: Callable[[], None] | None = None,
    ) -> SuperSimApi:
        config = get_config()
        return SuperSimApi(
            account.server_address,
            account.user_name,
            account.secret,
            oauth2=self.oauth2,
            timeout=timeout,
            connect_timeout=connect_timeout,
            before_call=before_call,
            deadline_s=config.carrier_deadline_s,
            max_answer_bytes=config.carrier_max_answer_bytes,
        )


class SuperSimOAuth2(SuperSim):
    """Super SIM on KORE's host with OAuth2 client credentials: the user name is the client id, the one
    secret the client secret; the calls, statuses and rules are Super SIM's."""

    kind: str = OAUTH2_KIND
    secret_fields: tuple[SecretField, ...] = (SecretField("api_key", "client secret"),)
    label: str = "Super SIM on KORE (OAuth2 client credentials)"
    oauth2: bool = True
