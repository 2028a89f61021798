"""The Jasper task type (Patriot's name): switch each SIM on the client's add-on devices on (Command Type
= Activate) or off (Deactivate), on whatever carrier platform the device's communicator type is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from carriers.platform import SimState
from centre import sims
from centre.errors import InvalidInput
from models import AddonDevice, Client, CommunicatorType
from pipeline.task_types import Target

NAME = "jasper"
COMMAND_STATE = {"Activate": SimState.ACTIVE, "Deactivate": SimState.SUSPENDED}


class JasperTaskType:
    name = NAME
    celery_task = "jasper.set_sim_status"
    queue = "jasper"

    def validate_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        raw = options.get("command_type", options.get("Command Type"))
        for command in COMMAND_STATE:
            if isinstance(raw, str) and raw.strip().lower() == command.lower():
                return {"command_type": command}
        raise InvalidInput(f"Jasper task option Command Type must be Activate or Deactivate, not {raw!r}")

    def expand(self, session: Session, client: Client, options: Mapping[str, Any]) -> list[Target]:
        # An area linked to its base shares the base's SIM (commissioning one commissions both); an
        # unlinked area is on its own, and must not switch the base's panel.
        rows = sims.sim_devices(session, client)
        if not rows:
            return [
                Target(
                    None,
                    error=f"client {client.label} has no add-on device with a Jasper "
                    "communicator type: nothing to switch",
                )
            ]
        return [_target(device, comm) for device, comm in rows]

    def describe(self, options: Mapping[str, Any], target: Mapping[str, Any]) -> str:
        command = options.get("command_type", "?")
        iccid = target.get("iccid")
        return f"Jasper {command} SIM {iccid}" if iccid else f"Jasper {command}"

    def authorize(self, options: Mapping[str, Any], *, admin: bool, confirmed: bool) -> None:
        """Commissioning is every operator's to ask for (and to retry)."""

    def status_to_check(self, options: Mapping[str, Any]) -> str | None:
        return None  # commissioning takes the carrier's answer as it comes (10030000 is success)


def _target(device: AddonDevice, comm: CommunicatorType) -> Target:
    data = {"addon_device_id": device.id, "communicator_type_id": comm.id}
    if not device.device_ref_no:
        return Target(
            None,
            data,
            error=f"add-on device {device.id} (communicator type {comm.name}) has no Device Ref "
            "No: enter the SIM's ICCID before commissioning",
        )
    return Target(f"sim:{device.device_ref_no}", {**data, "iccid": device.device_ref_no})


def wanted_state(options: Mapping[str, Any]) -> SimState:
    """The SIM state a Jasper execution's options ask for."""
    return COMMAND_STATE[options["command_type"]]
