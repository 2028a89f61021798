"""What a carrier platform implements, and the shapes every platform answers in.

Two parts, as a platform has two sides:

- ``Platform``: the kind of carrier API (Control Center REST, ...), registered by the communicator type's
  kind in ``carriers/registry.py``. It says what the platform can do (``capabilities``: what it cannot
  do is said, never faked), names its SIM statuses and their canonical ``SimState``, knows its rules
  for moving between them, and opens a ``Carrier`` for one account.
- ``Carrier``: one carrier account's API, as a process uses it: find a SIM and read it, change its
  status, read its usage, send it an SMS, list and change rate plans, list what changed since a time.
  It makes exactly the calls it is asked for: no retries, sleeps or pacing of its own (``pool.py``
  paces every call; the pipeline retries). Every failure is one of ``carriers.errors``.

Statuses keep the platform's own names (``ACTIVATED``, ``Suspended``, ``inactive`` ...): staff see them as
the carrier's portal shows them. ``SimState`` is the same state in one vocabulary for every platform, so
that commissioning, drift and the console can reason about any SIM.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from carriers.accounts import CarrierAccount


class SimState(enum.StrEnum):
    """A SIM's place in its life, whatever the platform calls it."""

    INVENTORY = "inventory"  # delivered, not yet usable
    READY = "ready"  # usable for a first connection or a test, not yet billed as active
    ACTIVE = "active"  # in service and billed
    SUSPENDED = "suspended"  # out of service, can be brought back (deactivated, suspended, inactive)
    TERMINATED = "terminated"  # the end of its life at the carrier: cannot be undone
    UNKNOWN = "unknown"  # a status this platform did not document


class Capability(enum.StrEnum):
    """What a platform's API can do beyond reading a SIM and changing its status."""

    USAGE = "usage"
    SMS = "sms"
    RATE_PLANS = "rate_plans"
    CHANGES_SINCE = "changes_since"  # list the SIMs changed since a time (drift, shared read-backs)


@dataclass(frozen=True, slots=True)
class SecretField:
    """One secret a platform's accounts log in with (an API key; a password and a licence key ...).

    Encrypted at rest, write-only for staff, bound to the account's address and user name
    (``centre/communicator_types.py``); ``name`` keys it in ``CarrierAccount.secrets`` and in the API.
    """

    name: str  # api_key, password, license_key
    label: str  # for staff: "API key"


class StatusChange(enum.StrEnum):
    """What the carrier did with an edit (a status or rate-plan change)."""

    APPLIED = "applied"  # done
    ACCEPTED = "accepted"  # accepted, not yet applied: re-read to confirm
    ALREADY = "already"  # the SIM already was as asked


@dataclass(frozen=True, slots=True)
class Edit:
    """An edit's outcome, and the carrier's clock when it answered (None when it gave none).

    Changes made before ``carrier_time`` show in a changes-since listing from a second before it,
    whatever our own clock says: the shared read-back lists from there.
    """

    change: StatusChange
    carrier_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class SimDetails:
    """One SIM as the carrier describes it; ``status`` is the platform's own name, kept as sent."""

    iccid: str
    status: str
    state: SimState
    rate_plan: str | None
    communication_plan: str | None
    date_added: datetime | None
    date_updated: datetime | None
    date_activated: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SimSummary:
    """One SIM from a changes-since listing."""

    iccid: str
    status: str
    rate_plan: str | None
    communication_plan: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Usage:
    """A SIM's usage in a billing cycle; None where the carrier left a value out."""

    iccid: str
    data_bytes: int | None
    sms_count: int | None  # mobile-originated and -terminated
    voice_seconds: int | None
    session_count: int | None
    overage_limit_reached: bool | None
    overage_limit_override: str | None  # Control Center: DEFAULT, TEMPORARY_OVERRIDE, PERMANENT_OVERRIDE
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SmsDetails:
    """One SMS message as the carrier describes it."""

    sms_id: str
    status: str | None  # the carrier's delivery status (Delivered, Pending, Failed ...)
    message_text: str | None
    sent_to: str | None
    sent_from: str | None
    sender_login: str | None
    msg_type: str | None  # MO or MT
    date_sent: datetime | None
    date_received: datetime | None
    date_modified: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)


class Carrier(Protocol):
    """One carrier account's API. Methods for a capability the platform lacks raise CarrierRejected."""

    def get_sim(self, iccid: str) -> SimDetails:
        """Read one SIM."""
        ...

    def set_status(self, iccid: str, status: str) -> Edit:
        """Move the SIM to ``status`` (the platform's name); ALREADY when it already was."""
        ...

    def changed_since(self, since: datetime) -> Iterator[SimSummary]:
        """The SIMs changed since ``since`` (tz-aware), oldest first, page by page as consumed."""
        ...

    def get_usage(self, iccid: str, cycle_start: date | None = None) -> Usage:
        """The SIM's usage in the cycle starting ``cycle_start`` (None: the current cycle)."""
        ...

    def send_sms(self, iccid: str, text: str) -> str:
        """Send an SMS to the SIM; its message id."""
        ...

    def get_sms(self, sms_id: str) -> SmsDetails:
        """One SMS message and its delivery status."""
        ...

    def list_rate_plans(self) -> list[str]:
        """The rate plans the account may move its SIMs to."""
        ...

    def set_rate_plan(self, iccid: str, rate_plan: str) -> Edit:
        """Move the SIM to another rate plan."""
        ...

    def check_connection(self) -> None:
        """Check address and credentials cheaply; raise a CarrierError if they do not work."""
        ...

    def close(self) -> None:
        """Close the connections."""
        ...


@runtime_checkable
class UsageInDetails(Protocol):
    """A carrier whose SIM details already carry the current cycle's usage (Control Center SOAP's
    GetTerminalDetails): the usage of a SIM just read costs no second call."""

    def usage_in(self, details: SimDetails) -> Usage:
        """The current cycle's usage, from details this carrier read."""
        ...


class StatusRules(Protocol):
    """A platform's status table (its ``statuses.py`` module): canonical states and the moves it allows."""

    def state_of(self, status: str) -> SimState: ...

    def status_for(self, state: SimState) -> str: ...

    def transition_problem(self, current: str | None, wanted: str) -> str | None: ...


class PlatformBase:
    """What each platform's class builds on: its status table answers for it (``rules``), and the options
    most platforms leave as they are, which a platform sets only where it differs (emnify's published
    limit, Super SIM's moves made by itself)."""

    rules: ClassVar[StatusRules]
    default_user_name: str = ""
    default_calls_per_second: float = 1.0
    max_calls_per_second: float | None = None
    automatic_moves: frozenset[tuple[str, str]] = frozenset()
    transitional: frozenset[str] = frozenset()

    def state_of(self, status: str) -> SimState:
        return self.rules.state_of(status)

    def status_for(self, state: SimState) -> str:
        return self.rules.status_for(state)

    def transition_problem(self, current: str | None, wanted: str) -> str | None:
        return self.rules.transition_problem(current, wanted)


class Platform(Protocol):
    """A kind of carrier API, registered by the communicator type's kind."""

    kind: str  # stored in CommunicatorType.kind
    label: str  # for staff: "Cisco Control Center (REST API)"
    capabilities: frozenset[Capability]
    statuses: tuple[str, ...]  # the statuses staff may ask for, in the order the console lists them
    page_size: int  # SIMs per page of changed_since (the shared read-back pages by it)
    secret_fields: tuple[SecretField, ...]  # what an account logs in with besides its user name
    api_path: str  # the path a server address ends with (/rws/api/v1): staff are shown it in examples
    default_user_name: str  # taken when none is given ("": one is required)
    default_calls_per_second: float  # the platform's published limit where it has one, else 1
    max_calls_per_second: float | None  # the published limit, above which none is set; None: none published
    automatic_moves: frozenset[tuple[str, str]]  # (asked, now): moves the carrier makes by itself, no drift
    transitional: frozenset[str]  # statuses of a change under way: drift does not judge them yet

    def state_of(self, status: str) -> SimState:
        """The canonical state of one of the platform's statuses (UNKNOWN for one it does not know)."""
        ...

    def status_for(self, state: SimState) -> str:
        """The platform's status for a canonical state commissioning asks for (ACTIVE, SUSPENDED ...)."""
        ...

    def transition_problem(self, current: str | None, wanted: str) -> str | None:
        """Why the platform would refuse moving a SIM from ``current`` to ``wanted`` (None: it would not)."""
        ...

    def connect(
        self,
        account: CarrierAccount,
        *,
        timeout: float,
        connect_timeout: float,
        before_call: Callable[[], None] | None = None,
    ) -> Carrier:
        """Open the account's API. ``before_call`` runs before every request is sent (the pool paces
        the account's calls with it); a bad address or empty credentials raise CarrierRejected."""
        ...
