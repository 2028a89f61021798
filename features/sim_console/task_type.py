"""The SIM console task type: what staff ask of one SIM from its console.

Change its status, send it an SMS, or change its rate plan. These run through the same executions,
pacing, retries and error messages as the Jasper task; they are created by ``service.request``
rather than by a response plan. Statuses are the SIM's platform's own names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from carriers import registry
from carriers.platform import Platform, SimState
from centre.errors import InvalidInput, NotPermitted
from features.commissioning.task_type import JasperTaskType
from models import Client
from pipeline.task_types import Target

NAME = "sim_console"

SET_STATUS = "set_status"
SEND_SMS = "send_sms"
SET_RATE_PLAN = "set_rate_plan"

# Carriers count at most 160 characters in one plain SMS; Control Center refuses longer ones.
MAX_SMS = 160


class SimConsoleTaskType:
    name = NAME
    celery_task = "sim_console.request"
    queue = "jasper"

    def validate_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        action = options.get("action")
        if action == SET_STATUS:
            return {"action": action, "status": status_value(options.get("status"))}
        if action == SEND_SMS:
            return {"action": action, "text": sms_text(options.get("text"))}
        if action == SET_RATE_PLAN:
            plan = options.get("rate_plan")
            if not isinstance(plan, str) or not plan.strip():
                raise InvalidInput("a rate plan name is required")
            return {"action": action, "rate_plan": plan.strip()}
        raise InvalidInput(f"SIM console action must be {SET_STATUS}, {SEND_SMS} or {SET_RATE_PLAN}")

    def expand(self, session: Session, client: Client, options: Mapping[str, Any]) -> list[Target]:
        targets = JasperTaskType().expand(session, client, options)
        return [target_for(options, t) for t in targets]

    def describe(self, options: Mapping[str, Any], target: Mapping[str, Any]) -> str:
        sim = f"SIM {target.get('iccid')}"
        action = options.get("action")
        if action == SET_STATUS:
            return f"Console: set {sim} to {options.get('status')}"
        if action == SEND_SMS:
            return f"Console: SMS to {sim}"
        return f"Console: rate plan of {sim} to {options.get('rate_plan')}"

    def authorize(self, options: Mapping[str, Any], *, admin: bool, confirmed: bool) -> None:
        if admin_only(options) and not admin:
            raise NotPermitted(
                "retiring a SIM and changing its rate plan are for admins: "
                "your account is an operator account"
            )
        if needs_confirmation(options) and not confirmed:
            raise InvalidInput("retiring a SIM ends its life at the carrier: confirm to go ahead")

    def status_to_check(self, options: Mapping[str, Any]) -> str | None:
        return str(options["status"]) if options.get("action") == SET_STATUS else None


def admin_only(options: Mapping[str, Any]) -> bool:
    """Whether only an admin may ask for this: retiring a SIM (irreversible) or changing its rate plan
    (it changes what the centre pays)."""
    return options.get("action") == SET_RATE_PLAN or needs_confirmation(options)


def needs_confirmation(options: Mapping[str, Any]) -> bool:
    """Whether the request must be confirmed: retiring a SIM ends its life at the carrier."""
    return options.get("action") == SET_STATUS and terminal(str(options.get("status")))


def terminal(status: str) -> bool:
    """Whether ``status`` ends a SIM's life on its platform (Control Center's RETIRED ...)."""
    return any(p.state_of(status) is SimState.TERMINATED for p in registry.PLATFORMS.values())


def target_for(options: Mapping[str, Any], target: Target) -> Target:
    """The ordering key of a console action: status changes queue with commissioning on the SIM, rate
    plan changes with each other, and SMS messages are not ordered at all."""
    iccid = target.data.get("iccid")
    if iccid is None or target.error:
        return target
    if options.get("action") == SET_STATUS:
        return target
    if options.get("action") == SET_RATE_PLAN:
        return Target(f"rateplan:{iccid}", target.data)
    return Target(None, target.data)


def status_value(raw: object, platform: Platform | None = None) -> str:
    """A status as staff type it (any case, spaces for underscores), as its platform names it: the
    SIM's ``platform`` when known, else the first platform naming it so (a status spelt exactly as a
    platform spells it is kept: emnify's Activated is not Control Center's ACTIVATED)."""
    wanted = _folded(str(raw or ""))
    known = list(platform.statuses) if platform is not None else all_statuses()
    if raw in known:
        return str(raw)
    for status in known:
        if _folded(status) == wanted:
            return status
    raise InvalidInput(f"SIM status must be one of {', '.join(known)}, not {raw!r}")


def all_statuses() -> list[str]:
    """Every status staff may ask for, on any platform."""
    found: list[str] = []
    for platform in registry.PLATFORMS.values():
        found += [status for status in platform.statuses if status not in found]
    return found


def _folded(status: str) -> str:
    return status.strip().upper().replace(" ", "_")


def sms_text(raw: object) -> str:
    text = str(raw or "").strip()
    if not text:
        raise InvalidInput("the SMS text must not be empty")
    if len(text) > MAX_SMS:
        raise InvalidInput(f"the SMS text is {len(text)} characters; at most {MAX_SMS} fit in one SMS")
    return text
