"""The JSON API's request and response bodies (they are the OpenAPI document's schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from carriers import registry
from centre import communicator_types

# No NUL and no other C0 control character but tab: the databases refuse NUL, and a history line
# is one line. Every text field has a length limit, so no request can be unboundedly large.
_LINE = r"^[^\x00-\x08\x0a-\x1f]*$"

ClientCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$")]
Area = Annotated[int, Field(ge=0, le=9999)]
Port = Annotated[str, Field(min_length=1, max_length=8, pattern=_LINE)]
Memo = Annotated[str, Field(max_length=1000, pattern=_LINE)]
Line = Annotated[str, Field(max_length=500, pattern=_LINE)]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=_LINE)]
Role = Literal["operator", "admin"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldErrorOut(BaseModel):
    """One field of the request that was not valid."""

    loc: list[str | int] = Field(description="Where: body, query or path, then the field's name")
    msg: str = Field(description="What is wrong with it")
    type: str = Field(description="A stable name of the check that failed")


class ErrorOut(BaseModel):
    """Every error answer of the API has this shape."""

    detail: str = Field(description="What was wrong, for people")
    errors: list[FieldErrorOut] = Field(
        default_factory=list, description="The request's fields that were not valid (422), else empty"
    )


class SignalIn(_In):
    """A signal from another system, logged through the same pipeline as the pages' presses."""

    client_code: ClientCode
    area: Area | None = Field(default=None, description="Only when the client code has several areas")
    port: Port | None = Field(default=None, description="Only when the client code has several ports")
    type_no: Annotated[int, Field(ge=0, le=65535)]
    zone: Annotated[int, Field(ge=0, le=65535)] = Field(default=0, description="Zone or user number")
    memo: Memo = ""


class HistoryEntryOut(BaseModel):
    id: int
    time: datetime
    type_no: int
    zone: int
    description: str
    action_plan: str | None
    source: str = Field(description="Auto, Manual or API")
    memo: str
    operator: str | None
    execution_id: int | None = Field(description="The task execution whose outcome this signal reports")
    outcome: Literal["succeeded", "failed", "superseded", "unconfirmed"] | None


class SignalOut(HistoryEntryOut):
    client_code: str
    area: int
    port: str


class DeviceOut(BaseModel):
    id: int
    communicator_type: str
    kind: str
    device_ref_no: str | None = Field(description="For a Jasper communicator type: the SIM's ICCID")


class ClientOut(BaseModel):
    id: int
    code: str
    area: int
    port: str
    name: str
    is_template: bool
    commissioned_at: datetime | None
    decommissioned_at: datetime | None
    decommission_reason: str | None
    offline: bool
    retired_at: datetime | None = Field(description="Set: retired (kept, hidden, read-only)")


class ClientDetailOut(ClientOut):
    devices: list[DeviceOut]


class ClientIn(_In):
    code: ClientCode
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=_LINE)]
    area: Area = 1
    port: Port = "1"
    template_code: ClientCode | None = Field(default=None, description="Default: the system-wide setting")


class DeviceIn(_In):
    communicator_type: Name
    device_ref_no: Annotated[str, Field(min_length=1, max_length=32, pattern=_LINE)]


class ClientPatch(_In):
    """A correction: a new name, and/or retired (true) or restored (false). Absent fields stay."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=_LINE)] | None = None
    retired: bool | None = None


class DevicePatch(_In):
    device_ref_no: Annotated[str, Field(min_length=1, max_length=32, pattern=_LINE)]


class CommissionIn(_In):
    memo: Memo = ""


class DecommissionIn(_In):
    reason: Annotated[str, Field(min_length=1, max_length=500, pattern=_LINE)]
    offline: bool = Field(default=False, description="Take Client Offline: its signals raise no response")


class PressOut(BaseModel):
    """What a commission or decommission did: the accounts changed and the signals logged."""

    client: ClientOut
    signal_ids: list[int] = Field(description="One 65516/65517 signal per account (base and linked areas)")


class ExecutionOut(BaseModel):
    id: int
    status: Literal["pending", "running", "succeeded", "failed", "superseded", "unconfirmed"]
    client_id: int
    signal_id: int
    attempts: int
    last_error: str | None


class OperatorLogOut(BaseModel):
    id: int
    at: datetime
    operator: str
    action: str
    detail: str


class CommunicatorTypeOut(BaseModel):
    """A carrier account. The API key is write-only: no answer ever contains it."""

    id: int
    name: str
    kind: str
    server_address: str
    user_name: str
    calls_per_second: float


# A communicator type's secret: write-only, never in an answer.
_Secret = (
    Annotated[str, Field(min_length=1, max_length=500, pattern=_LINE, json_schema_extra={"writeOnly": True})]
    | None
)


class CommunicatorTypeIn(_In):
    name: Name
    kind: str = Field(
        communicator_types.DEFAULT_KIND,
        max_length=32,
        description="The carrier platform",
        json_schema_extra={"enum": list[JsonValue](registry.kinds())},
    )
    server_address: Annotated[str, Field(min_length=1, max_length=500, pattern=_LINE)]
    user_name: Annotated[
        str,
        Field(
            max_length=200,
            pattern=_LINE,
            description=(
                "The API user; supersim: the Account SID; supersim-oauth2: the OAuth2 client id; emnify: none"
            ),
        ),
    ] = ""
    api_key: _Secret = Field(
        None,
        description=(
            "jasper-rest: the API key; emnify: the application token; supersim: the auth token; "
            "supersim-oauth2: the OAuth2 client secret"
        ),
        json_schema_extra={"writeOnly": True},
    )
    password: _Secret = Field(
        None, description="jasper-soap: the password", json_schema_extra={"writeOnly": True}
    )
    license_key: _Secret = Field(
        None, description="jasper-soap: the licence key", json_schema_extra={"writeOnly": True}
    )
    calls_per_second: Annotated[
        float | None,
        Field(
            ge=0.01,
            le=1000,
            allow_inf_nan=False,
            description="Default: the platform's published limit, else 1",
        ),
    ] = None

    def secrets(self) -> dict[str, str]:
        """The secrets given; the platform's rules decide which it needs."""
        return _given_secrets(self)


class CommunicatorTypeUpdate(_In):
    """Only the fields given change; absent secrets keep the stored ones (to replace, give them all)."""

    server_address: Annotated[str, Field(min_length=1, max_length=500, pattern=_LINE)] | None = None
    user_name: Annotated[str, Field(min_length=1, max_length=200, pattern=_LINE)] | None = None
    api_key: _Secret = Field(
        None,
        description=(
            "jasper-rest: the API key; emnify: the application token; supersim: the auth token; "
            "supersim-oauth2: the OAuth2 client secret"
        ),
        json_schema_extra={"writeOnly": True},
    )
    password: _Secret = Field(
        None, description="jasper-soap: the password", json_schema_extra={"writeOnly": True}
    )
    license_key: _Secret = Field(
        None, description="jasper-soap: the licence key", json_schema_extra={"writeOnly": True}
    )
    calls_per_second: Annotated[float, Field(ge=0.01, le=1000, allow_inf_nan=False)] | None = None

    def secrets(self) -> dict[str, str] | None:
        """The secrets given, None if none."""
        return _given_secrets(self) or None


def _given_secrets(body: CommunicatorTypeIn | CommunicatorTypeUpdate) -> dict[str, str]:
    given = {"api_key": body.api_key, "password": body.password, "license_key": body.license_key}
    return {name: value for name, value in given.items() if value is not None}


class ConnectionTestOut(BaseModel):
    ok: bool
    message: str = Field(description="What the carrier answered (never the key)")


class SettingOut(BaseModel):
    name: str
    label: str
    value: str


class SettingIn(_In):
    value: Line
