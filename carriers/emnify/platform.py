"""emnify as a carrier platform: what it can do, and how to open an account's API."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from carriers.accounts import CarrierAccount
from carriers.emnify import statuses
from carriers.emnify.client import PAGE_SIZE, EmnifyApi
from carriers.platform import Capability, PlatformBase, SecretField, StatusRules
from config import get_config

KIND = "emnify"


class Emnify(PlatformBase):
    kind: str = KIND
    rules: ClassVar[StatusRules] = statuses
    # One secret, under the name the API and the stored token use for every single-secret platform.
    secret_fields: tuple[SecretField, ...] = (SecretField("api_key", "application token"),)
    label: str = "emnify (REST API)"
    # No rate plans per SIM: tariffs are the organisation's, service profiles the endpoint's.
    capabilities: frozenset[Capability] = frozenset(
        {Capability.USAGE, Capability.SMS, Capability.CHANGES_SINCE}
    )
    statuses: tuple[str, ...] = statuses.SETTABLE
    page_size: int = PAGE_SIZE
    # emnify authenticates by application token alone: the communicator type's user name is only a label.
    default_user_name: str = "application token"
    # Published limits: 2,000 calls per address in 5 minutes (6.67/s) is the tightest that every call
    # counts against; GET /api/v1/sim allows 10/s, GET /api/v1/sim/{id} 100/s. Slots are 2% wider
    # (carriers/pacing.py), so 6.5 calls/s stays under the 2,000.
    default_calls_per_second: float = 6.5
    api_path: str = "/api/v1"  # the server address is https://cdn.emnify.net/api/v1
    max_calls_per_second: float | None = 6.5

    def connect(
        self,
        account: CarrierAccount,
        *,
        timeout: float,
        connect_timeout: float,
        before_call: Callable[[], None] | None = None,
    ) -> EmnifyApi:
        config = get_config()
        return EmnifyApi(
            account.server_address,
            account.secret,
            timeout=timeout,
            connect_timeout=connect_timeout,
            before_call=before_call,
            deadline_s=config.carrier_deadline_s,
            max_answer_bytes=config.carrier_max_answer_bytes,
        )
