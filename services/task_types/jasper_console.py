"""The Jasper SIM console task type: what staff ask of one SIM from its console.

Change its status, send it an SMS, or change its rate plan. These run through the same executions,
Celery task machinery, pacing, retries and error messages as the Jasper task; they are created by
``services.sims.request`` rather than by a response plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from models import Client
from services.errors import InvalidInput, NotPermitted
from services.task_types.base import Target
from services.task_types.jasper import JasperTaskType

KIND = "jasper_console"

SET_STATUS = "set_status"
SEND_SMS = "send_sms"
SET_RATE_PLAN = "set_rate_plan"

RETIRED = "RETIRED"
STATUSES = ("INVENTORY", "ACTIVATION_READY", "ACTIVATED", "DEACTIVATED", RETIRED)
PRE_ACTIVATION = ("TEST_READY", "INVENTORY", "ACTIVATION_READY")
# Carriers count at most 160 characters in one plain SMS; Control Center refuses longer ones.
MAX_SMS = 160


class JasperConsoleTaskType:
    name = KIND
    celery_task = "jasper.sim_action"
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
    return options.get("action") == SET_STATUS and options.get("status") == RETIRED


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


def status_value(raw: object) -> str:
    wanted = str(raw or "").strip().upper().replace(" ", "_")
    if wanted not in STATUSES:
        raise InvalidInput(f"SIM status must be one of {', '.join(STATUSES)}, not {raw!r}")
    return wanted


def sms_text(raw: object) -> str:
    text = str(raw or "").strip()
    if not text:
        raise InvalidInput("the SMS text must not be empty")
    if len(text) > MAX_SMS:
        raise InvalidInput(f"the SMS text is {len(text)} characters; at most {MAX_SMS} fit in one SMS")
    return text


def transition_problem(current: str | None, wanted: str) -> str | None:
    """Why the carrier would refuse moving a SIM from ``current`` to ``wanted``, or None."""
    if current == wanted:
        return f"the SIM is already {wanted}"
    activated_before = current not in (None, *PRE_ACTIVATION)
    if activated_before and wanted in PRE_ACTIVATION:
        return "a SIM that has been activated may not move back to a pre-activation status (10000029)"
    return None
