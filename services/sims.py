"""The SIMs on a client, and the SIM console's requests: status, SMS and rate plan changes.

Requests are logged in the client's history with who asked (65522), and carried out as task
executions of the seeded SIM console task, through the same Celery tasks, pacing and retries as
commissioning. Live reads from the carrier are in worker/console.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AddonDevice, Client, CommunicatorType, SignalSource, Task, TaskExecution
from services import oplog, signals, system_events
from services.errors import InvalidInput, NotFound
from services.task_types import jasper_console
from services.task_types.base import Target
from services.task_types.jasper import KIND as JASPER
from worker.enqueue import message_for, publish_after_commit


@dataclass(frozen=True)
class Sim:
    iccid: str
    addon_device_id: int
    communicator_type_id: int
    communicator_type: str
    owner_client_id: int  # the client itself, or its base account


def of_client(session: Session, client: Client) -> list[Sim]:
    """The SIMs (Jasper add-on devices with an ICCID) of the client and, for a linked area, of its base."""
    linked_base = client.base_client_id if client.linked_to_base else None
    owners = [client.id] + ([linked_base] if linked_base else [])
    rows = session.execute(
        select(AddonDevice, CommunicatorType)
        .join(CommunicatorType, AddonDevice.communicator_type_id == CommunicatorType.id)
        .where(
            AddonDevice.client_id.in_(owners),
            CommunicatorType.kind == JASPER,
            AddonDevice.device_ref_no.is_not(None),
        )
        .order_by(AddonDevice.client_id != client.id, AddonDevice.id)
    ).all()
    return [
        Sim(str(device.device_ref_no), device.id, comm.id, comm.name, device.client_id)
        for device, comm in rows
    ]


def find(session: Session, client: Client, iccid: str | None = None) -> Sim:
    """The SIM ``iccid`` of the client, or its only SIM when ``iccid`` is None."""
    found = of_client(session, client)
    if iccid is None:
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFound(f"client {client.label} has no SIM (no Jasper add-on device with an ICCID)")
        raise InvalidInput(f"client {client.label} has {len(found)} SIMs: name the ICCID")
    for sim in found:
        if sim.iccid == iccid.strip():
            return sim
    raise NotFound(f"SIM {iccid} is not on client {client.label}")


def console_task(session: Session) -> Task:
    task = session.scalar(select(Task).where(Task.type == jasper_console.KIND).order_by(Task.task_no))
    if task is None:
        raise NotFound("there is no SIM console task: run `commissioner seed`")
    return task


def request(
    session: Session,
    client: Client,
    sim: Sim,
    options: dict[str, Any],
    operator: str,
    *,
    admin: bool,
    confirmed: bool = False,
) -> TaskExecution:
    """Log the request on the client's history and queue it as an execution of the console task.

    Retiring a SIM and changing its rate plan are for an ``admin``; retiring must be ``confirmed``:
    carriers treat it as the end of the SIM's life.
    """
    task_type = jasper_console.JasperConsoleTaskType()
    clean = task_type.validate_options(options)
    task_type.authorize(clean, admin=admin, confirmed=confirmed)
    task = console_task(session)
    target_data = {"iccid": sim.iccid, "communicator_type_id": sim.communicator_type_id}
    target = jasper_console.target_for(clean, Target(f"sim:{sim.iccid}", target_data))
    label = task_type.describe(clean, target.data)
    signal = signals.log_signal(
        session,
        client,
        system_events.SIM_CONSOLE_ACTION,
        source=SignalSource.MANUAL,
        operator=operator,
        memo=label,
    )
    execution = signals.add_execution(session, client, signal, task.id, None, clean, target)
    session.flush()
    oplog.record(session, operator, "sim.request", label, client_id=client.id, entity_id=execution.id)
    publish_after_commit(session, [message_for(execution, task.type)])
    return execution
