"""The pipeline: every signal, whatever its source, is logged here and fires its tasks.

Resolution gives the event type, action plan and response plan; every task assignment of every user
in the response plan becomes task executions (one per target), in the same transaction as the signal.
Celery hears of them only after that transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from centre import validation
from centre.errors import InvalidInput
from centre.validation import number_in_range
from models import Client, Outcome, Signal, SignalSource, TaskExecution
from pipeline import resolution, system_events, task_types
from pipeline.outbox import Message, message_for, publish_after_commit
from pipeline.resolution import TaskRef
from pipeline.task_types import Target

log = logging.getLogger(__name__)

# Outcome signals may fire tasks, whose outcomes may fire tasks...; past this depth a signal is still
# logged but fires nothing, so a plan that reacts to its own outcome cannot loop.
MAX_DEPTH = 3

# Targets already given an execution in this unit of work, per task: commissioning a base and its
# linked areas reaches the same SIM several times, and it must be switched once.
SeenTargets = set[tuple[int, str, str]]  # task, target key, options


@dataclass(frozen=True)
class NewSignal:
    """One signal for ``log_signals``: what a panel or another system sends, on ``client``."""

    client: Client
    type_no: int
    source: SignalSource
    zone: int = 0
    memo: str = ""


def log_signal(
    session: Session,
    client: Client,
    type_no: int,
    *,
    source: SignalSource,
    zone: int = 0,
    memo: str = "",
    operator: str | None = None,
    execution_id: int | None = None,
    outcome: Outcome | None = None,
    depth: int = 0,
    seen: SeenTargets | None = None,
) -> Signal:
    """Log one signal on ``client`` and create the task executions its response plan asks for."""
    signal, resolved = _new_signal(
        session, client, type_no, source, zone, memo, operator, execution_id, outcome, depth
    )
    session.add(signal)
    session.flush()
    _respond(session, client, signal, resolved, seen if seen is not None else set())
    return signal


def log_signals(session: Session, new: Sequence[NewSignal]) -> list[Signal]:
    """Log several signals (of any clients) with one INSERT; each is checked, resolved and fires its
    tasks exactly as ``log_signal`` would, independently of the others. Raises on the first bad one."""
    made = [
        _new_signal(session, n.client, n.type_no, n.source, n.zone, n.memo, None, None, None, 0) for n in new
    ]
    session.add_all([signal for signal, _ in made])
    session.flush()  # one INSERT ... RETURNING for all of them
    for n, (signal, resolved) in zip(new, made, strict=True):
        _respond(session, n.client, signal, resolved, set())
    return [signal for signal, _ in made]


def _new_signal(
    session: Session,
    client: Client,
    type_no: int,
    source: SignalSource,
    zone: int,
    memo: str,
    operator: str | None,
    execution_id: int | None,
    outcome: Outcome | None,
    depth: int,
) -> tuple[Signal, resolution.Resolution]:
    number_in_range(type_no, "type number", 0, 65535)
    number_in_range(zone, "zone/user number", 0, 65535)
    # What people and other systems write is checked; what we write (outcomes) is made safe.
    memo = validation.clipped(memo) if source == SignalSource.AUTO else validation.memo(memo)
    if _offline(client, type_no):
        memo = (memo + " " if memo else "") + "(client offline: no response)"
    resolved = resolution.resolve(session, client, type_no, zone)
    signal = Signal(
        client_id=client.id,
        type_no=type_no,
        zone=zone,
        description=_description(resolved.event_description, type_no),
        action_plan_id=resolved.action_plan_id,
        source=source,
        memo=memo,
        operator=operator,
        execution_id=execution_id,
        outcome=outcome,
        depth=depth,
    )
    return signal, resolved


def _respond(
    session: Session, client: Client, signal: Signal, resolved: resolution.Resolution, seen: SeenTargets
) -> None:
    if _fires_tasks(client, signal) and resolved.assignments:
        _fire(session, client, signal, resolved, seen)


def _description(found: str | None, type_no: int) -> str:
    if found:
        return found
    return system_events.DESCRIPTIONS.get(type_no, f"Unknown event type {type_no}")


def _offline(client: Client, type_no: int) -> bool:
    # Taking a client offline stops its signals from raising responses; they are still logged.
    return client.offline and not system_events.is_system(type_no)


def _fires_tasks(client: Client, signal: Signal) -> bool:
    if _offline(client, signal.type_no):
        return False  # its memo says so
    if signal.depth >= MAX_DEPTH:
        log.warning(
            "signal %s on client %s fires no tasks: raised by %d nested task outcomes",
            signal.id,
            client.id,
            signal.depth,
        )
        return False
    return True


def _fire(
    session: Session,
    client: Client,
    signal: Signal,
    resolved: resolution.Resolution,
    seen: SeenTargets,
) -> None:
    messages: list[Message] = []
    for assignment in resolved.assignments:
        task = assignment.task
        if not task.enabled:
            continue
        executions = _executions(session, client, signal, task, assignment.user_id, assignment.options, seen)
        messages.extend(message_for(e, task.type) for e in executions if e.id is not None)
    log.debug(
        "signal %s via %s/%s fired %d executions",
        signal.id,
        resolved.action_plan_name,
        resolved.response_plan_name,
        len(messages),
    )
    publish_after_commit(session, messages)


def _executions(
    session: Session,
    client: Client,
    signal: Signal,
    task: TaskRef,
    user_id: int,
    options: dict[str, object],
    seen: SeenTargets,
) -> Iterable[TaskExecution]:
    try:
        task_type = task_types.get(task.type)
        clean = task_type.validate_options(options)
        targets = task_type.expand(session, client, clean)
    except InvalidInput as exc:
        # A bad assignment must not block the press that fired it: its execution fails, visibly.
        clean, targets = dict(options), [Target(None, error=f"task {task.task_no}: {exc}")]
    created = []
    for target in targets:
        if target.key is not None:
            once = (task.id, target.key, repr(sorted(clean.items())))
            if once in seen:
                continue
            seen.add(once)
        created.append(add_execution(session, client, signal, task.id, user_id, clean, target))
    session.flush()
    return created


def add_execution(
    session: Session,
    client: Client,
    signal: Signal,
    task_id: int,
    user_id: int | None,
    options: dict[str, Any],
    target: Target,
) -> TaskExecution:
    """An execution of task ``task_id`` for ``signal`` on ``target``; the caller publishes it after commit."""
    execution = TaskExecution(
        signal_id=signal.id,
        client_id=client.id,
        task_id=task_id,
        user_id=user_id,
        options=options,
        target_key=target.key,
        target={**target.data, **({"error": target.error} if target.error else {})},
        published_at=signal.received_at,
    )
    session.add(execution)
    return execution
