"""The carrier platforms the fault suite runs its carrier scenarios on, as the simulator serves them.

One simulator process serves every platform behind one front door per platform; the fault switches
(down, fail, timeout, drop, cut, rate limit) apply to each of them. What differs is how the suite talks
to the platform, and nothing else: the simulator's options, the communicator type (address, user name,
secrets, pace), where the simulator lists its SIMs and how it names their statuses, which calls
change a SIM (the figures' "puts"), how a rate-limit answer looks, and where errors are scripted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carriers.control_center_rest import codes as rest_codes
from carriers.control_center_soap import codes as soap_codes
from carriers.control_center_soap.statuses import to_rest
from carriers.emnify import codes as emnify_codes
from carriers.platform import SimState
from carriers.registry import platform as registered
from carriers.supersim import codes as supersim_codes

USER = "centre"  # the simulator's Control Center user (REST and SOAP) and admin
API_KEY = "faults-sim-key-7d1e"
PASSWORD, LICENSE_KEY = "faults-soap-pass-2b9c", "faults-soap-licence-4a1f"
EMNIFY_TOKEN = "faults-emnify-token-6e3d"  # noqa: S105
ACCOUNT_SID, AUTH_TOKEN = "AC" + "fa" * 16, "faults-supersim-token-9c8b"

Call = Mapping[str, Any]


@dataclass(frozen=True)
class FaultPlatform:
    """One carrier platform as a fault scenario uses it."""

    kind: str  # the communicator type's kind (carriers/registry.py)
    path: str  # where the simulator serves its API
    user_name: str
    secret: str | Mapping[str, str]
    simulator_options: tuple[str, ...]  # what `commissioner simulator` needs to serve it
    admin_sims: str  # the simulator's admin list of the platform's SIMs (GET), and where they are added
    initial: str  # a SIM's status when added, as that list names it
    listed: Callable[[Mapping[str, Any]], tuple[str, str]]  # (ICCID, status) of one listed SIM
    changes: Callable[[Call], bool]  # whether a logged call asks for a change of a SIM
    rate_limited: Callable[[Call], bool]  # whether a logged call was answered the platform's rate limit
    admin_errors: str  # where the simulator scripts error answers for the platform's SIMs
    calls_per_second: float  # the communicator type's pace
    tuning: Mapping[str, str] = field(default_factory=dict)  # settings the platform needs

    def wanted(self, state: SimState) -> str:
        """The status a SIM in ``state`` shows in the simulator's list (REST's names for SOAP)."""
        status = registered(self.kind).status_for(state)
        return to_rest(status) if self.kind == "jasper-soap" else status

    @property
    def fastest(self) -> float | None:
        """The highest pace a communicator type of this kind takes (its published limit), if any."""
        return registered(self.kind).max_calls_per_second

    def on_api(self, call: Call) -> bool:
        """Whether a logged call went to this platform's API (what a carrier's limit counts)."""
        return str(call["path"]).startswith(self.path)

    def added(self, iccid: str, status: str | None = None) -> dict[str, str]:
        """One SIM to add at ``admin_sims``, in its initial status unless told."""
        return {"iccid": iccid, "status": status or self.initial}


def _control_center(sim: Mapping[str, Any]) -> tuple[str, str]:
    return str(sim["iccid"]), str(sim["status"])


def _emnify(sim: Mapping[str, Any]) -> tuple[str, str]:
    return str(sim["iccid_with_luhn"]), str(sim["status"]["description"])


JASPER_REST = FaultPlatform(
    kind="jasper-rest",
    path="/rws/api/v1",
    user_name=USER,
    secret=API_KEY,
    simulator_options=(),
    admin_sims="/_admin/sims",
    initial="ACTIVATION_READY",
    listed=_control_center,
    changes=lambda call: call["method"] == "PUT",
    rate_limited=lambda call: call["errorCode"] == rest_codes.RATE_LIMIT_EXCEEDED,
    admin_errors="/_admin/errors",
    calls_per_second=1000.0,
)
JASPER_SOAP = FaultPlatform(
    kind="jasper-soap",
    path="/ws/service",
    user_name=USER,
    secret={"password": PASSWORD, "license_key": LICENSE_KEY},
    simulator_options=("--password", PASSWORD, "--license-key", LICENSE_KEY),
    admin_sims="/_admin/sims",  # one SIM store with REST, listed by REST's status names
    initial="ACTIVATION_READY",
    listed=_control_center,
    changes=lambda call: call.get("operation") == "EditTerminal",
    rate_limited=lambda call: call["errorCode"] == soap_codes.RATE_LIMIT_EXCEEDED,
    admin_errors="/_admin/errors",  # one store with REST: the SIM's next call, on either API
    calls_per_second=1000.0,
)
EMNIFY = FaultPlatform(
    kind="emnify",
    path="/api/v1",
    user_name="",
    secret=EMNIFY_TOKEN,
    simulator_options=("--emnify-token", EMNIFY_TOKEN),
    admin_sims="/_admin/emnify/sims",
    initial="Issued",
    listed=_emnify,
    changes=lambda call: call["method"] == "PATCH",
    rate_limited=lambda call: call["status"] == 429 or call["errorCode"] == emnify_codes.TOO_MANY_REQUESTS,
    admin_errors="/_admin/emnify/errors",
    # emnify's published limit, which the simulator enforces as emnify does (429 beyond it).
    calls_per_second=6.5,
)
SUPERSIM = FaultPlatform(
    kind="supersim",
    path="/v1",
    user_name=ACCOUNT_SID,
    secret=AUTH_TOKEN,
    simulator_options=("--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN),
    admin_sims="/_admin/supersim/sims",
    initial="new",
    listed=_control_center,
    changes=lambda call: call["method"] == "POST" and str(call["path"]).startswith("/v1/Sims/"),
    rate_limited=lambda call: (
        call["status"] == 429 or call["errorCode"] == str(supersim_codes.TOO_MANY_REQUESTS)
    ),
    admin_errors="/_admin/supersim/errors",
    calls_per_second=1000.0,
    # An update lands at least 0.2 s after it is accepted: the read-backs must span that.
    tuning={"CONFIRM_INTERVAL_S": "0.25"},
)

PLATFORMS: dict[str, FaultPlatform] = {p.kind: p for p in (JASPER_REST, JASPER_SOAP, EMNIFY, SUPERSIM)}


def named(kind: str) -> FaultPlatform:
    """The platform of ``kind``; ValueError naming the kinds there are."""
    try:
        return PLATFORMS[kind]
    except KeyError:
        raise ValueError(f"unknown platform {kind!r}: one of {', '.join(PLATFORMS)}") from None
