"""The SIM console's request and response bodies in the JSON API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# An SMS may span lines; it may not carry NUL or other control characters but tab and line breaks.
_MESSAGE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"

SimStatus = Literal["INVENTORY", "ACTIVATION_READY", "ACTIVATED", "DEACTIVATED", "RETIRED"]
# Retiring has its own call (admin, confirmed): it ends the SIM's life at the carrier.
OperatorSimStatus = Literal["INVENTORY", "ACTIVATION_READY", "ACTIVATED", "DEACTIVATED"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SimOut(BaseModel):
    iccid: str
    communicator_type: str = Field(description="The carrier account the SIM is managed with")
    on_base_account: bool = Field(description="The SIM is on the base account of this linked area")


class StatusChangeOut(BaseModel):
    """Whether the SIM may be asked to take ``status`` now, by the carrier's rules and the roles."""

    status: SimStatus
    allowed: bool = Field(description="The carrier's rules allow the move from the SIM's current status")
    refused_because: str | None = Field(description="Why the carrier would refuse it, e.g. 10000029")
    admin_only: bool = Field(description="Only an admin token may ask for it")
    needs_confirmation: bool = Field(description="The request must confirm it (retiring)")


class SimOverviewOut(BaseModel):
    """What the carrier says of the SIM, read live at ``read_at``."""

    iccid: str
    status: str = Field(description="As the carrier sent it, e.g. ACTIVATED")
    rate_plan: str | None
    communication_plan: str | None
    date_added: datetime | None
    date_modified: datetime | None = Field(description="The carrier's dateUpdated")
    date_activated: datetime | None
    overage_limit_reached: bool | None = Field(description="None when the carrier did not say")
    overage_limit_override: str | None = Field(
        description="DEFAULT, TEMPORARY_OVERRIDE or PERMANENT_OVERRIDE, as the carrier sent it"
    )
    read_at: datetime
    status_changes: list[StatusChangeOut] = Field(description="The carrier's rules, before anything is sent")


class SimUsageOut(BaseModel):
    """Usage in one billing cycle, as the carrier totals it (Control Center's cycle-to-date usage has
    no billable figure apart from the total); None where the carrier left a value out."""

    iccid: str
    cycle_start: date | None = Field(description="The cycle asked for; None: the current cycle")
    data_bytes: int | None
    sms_count: int | None = Field(description="Mobile-originated and -terminated messages")
    voice_seconds: int | None
    session_count: int | None
    read_at: datetime


class RatePlansOut(BaseModel):
    rate_plans: list[str] = Field(description="The rate plans the carrier offers the SIM's account")


class SimStatusIn(_In):
    status: OperatorSimStatus = Field(description="To retire a SIM, use the retire call (admin)")


class SimRetireIn(_In):
    confirm: Literal[True] = Field(description="Must be true: retiring ends the SIM's life at the carrier")


class SimSmsIn(_In):
    text: Annotated[str, Field(min_length=1, max_length=160, pattern=_MESSAGE)] = Field(
        description="At most 160 characters: one plain SMS"
    )


class SimRatePlanIn(_In):
    rate_plan: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*$")] = Field(
        description="One of the plans the carrier lists (GET .../rate-plans)"
    )


class SimRequestOut(BaseModel):
    """A request logged in the client's history (65522, with who asked) and queued for the workers.

    Its outcome, with the carrier's answer (for an SMS its message id and delivery status), arrives in
    the client's history as the signal whose ``execution_id`` is this one.
    """

    execution_id: int
    signal_id: int = Field(description="The 65522 signal that logged the request")
    description: str
    status: Literal["pending", "running", "succeeded", "failed", "superseded", "unconfirmed"]
