"""System-wide settings that admins change at run time, stored in the database.

(Process configuration, such as the database URL, is in config/environment.py instead.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import oplog
from centre.errors import InvalidInput, NotFound
from models import ActionPlan, Client, SystemSetting

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_bool(_session: Session, value: str) -> str:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return "true"
    if lowered in _FALSE:
        return "false"
    raise InvalidInput(f"{value!r} is not a yes/no value: use true or false")


def _parse_action_plan(session: Session, value: str) -> str:
    name = value.strip()
    if name and session.scalar(select(ActionPlan.id).where(ActionPlan.name == name)) is None:
        raise NotFound(f"no action plan named {name!r}")
    return name


def _parse_template(session: Session, value: str) -> str:
    code = value.strip()
    if (
        code
        and session.scalar(select(Client.id).where(Client.client_code == code, Client.is_template.is_(True)))
        is None
    ):
        raise NotFound(f"no template account with code {code!r}")
    return code


def _parse_time_zone(_session: Session, value: str) -> str:
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise InvalidInput(f"{name[:60]!r} is not a time zone: use a name such as Europe/London") from None
    return name


@dataclass(frozen=True)
class SettingSpec:
    name: str
    label: str
    default: str
    parse: Callable[[Session, str], str]


DEFAULT_COMMISSION_ON_CREATE = "default_commission_date_to_current_time"
DEFAULT_ACTION_PLAN = "default_action_plan"
NEW_CLIENT_TEMPLATE = "new_client_template"
TIME_ZONE = "time_zone"
PANEL_REPORT_WINDOW_S = "panel_report_window_s"


def _parse_seconds(_session: Session, value: str) -> str:
    try:
        seconds = int(value.strip())
    except ValueError:
        raise InvalidInput(f"{value[:20]!r} is not a whole number of seconds") from None
    if not 1 <= seconds <= 7 * 86400:
        raise InvalidInput("the window must be 1 second to 7 days (604800 s)")
    return str(seconds)


SPECS: dict[str, SettingSpec] = {
    spec.name: spec
    for spec in (
        SettingSpec(
            DEFAULT_COMMISSION_ON_CREATE,
            "Default Commission Date To Current Time: commission new clients when they are created",
            "false",
            _parse_bool,
        ),
        SettingSpec(
            DEFAULT_ACTION_PLAN,
            "Global default action plan, used when neither zone nor event type gives one",
            "",
            _parse_action_plan,
        ),
        SettingSpec(
            NEW_CLIENT_TEMPLATE,
            "Template account that new clients take their event types from",
            "",
            _parse_template,
        ),
        SettingSpec(
            TIME_ZONE,
            "The centre's time zone: every time on the pages is shown in it, with its name",
            "UTC",
            _parse_time_zone,
        ),
        SettingSpec(
            PANEL_REPORT_WINDOW_S,
            "Seconds a panel has to send its first signal after its SIM is activated, before it is "
            "reported silent",
            "1800",
            _parse_seconds,
        ),
    )
}


def time_zone(session: Session) -> ZoneInfo:
    """The centre's time zone (a zone removed from the system's database since: UTC)."""
    try:
        return ZoneInfo(get(session, TIME_ZONE))
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo("UTC")


def _spec(name: str) -> SettingSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise NotFound(f"no setting named {name!r}; known settings: {', '.join(SPECS)}") from None


def get(session: Session, name: str) -> str:
    """The stored value of setting ``name``, or its default."""
    spec = _spec(name)
    stored = session.get(SystemSetting, name)
    return stored.value if stored else spec.default


def get_bool(session: Session, name: str) -> bool:
    return get(session, name) == "true"


def all_settings(session: Session) -> dict[str, str]:
    """Every setting with its current value."""
    return {name: get(session, name) for name in SPECS}


def set_value(session: Session, name: str, value: str, operator: str) -> str:
    """Validate and store ``value``; returns the value as stored."""
    parsed = _spec(name).parse(session, value)
    stored = session.get(SystemSetting, name)
    if stored is None:
        session.add(SystemSetting(name=name, value=parsed))
    else:
        stored.value = parsed
    oplog.record(session, operator, "setting.set", f"{name} = {parsed!r}")
    session.flush()
    return parsed
