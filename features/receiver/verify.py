"""Verified commissioning and test timers: the panel's own signals, not the carrier's word, prove it.

After a commissioning's SIM activation succeeds (the Jasper task's outcome 65518 for a 65516), the
client's receiver account waits ``panel_report_window_s`` (a system setting) for its panel's first
signal: then "panel reported after commissioning" (65527), else "panel silent after commissioning"
(65528) with the SIM read live from the carrier in the memo. A client with a test timer expects a
test report every ``test_interval_min`` minutes; a miss reads the SIM and logs a diagnosis (65529).
Beat runs ``sweep`` every minute (``receiver.watch``); the receiver logs "reported" the moment a
waiting panel speaks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from carriers.platform import Capability, SimState
from centre import clients, sims, system_settings
from features.commissioning.task_type import NAME as JASPER
from features.sim_console import service as sim_console
from models import Client, ReceiverAccount, Signal, SignalSource, Task, TaskExecution, utcnow
from models.db import unit_of_work
from pipeline import signals, system_events

log = logging.getLogger(__name__)

WAITING, REPORTED, SILENT = "waiting", "reported", "silent"
LOOKBACK = timedelta(days=1)  # activations older than this are not waited for any more


def panel_heard(session: Session, client: Client, account: ReceiverAccount) -> None:
    """The panel sent a signal: if it was awaited after a commissioning, say it reported."""
    if account.verdict not in (WAITING, SILENT) or account.commissioned_at is None:
        return
    account.verdict = REPORTED
    signals.log_signal(
        session,
        client,
        system_events.PANEL_REPORTED,
        memo=f"panel reported after commissioning, account {account.account}",
        source=SignalSource.AUTO,
    )


def adopt_activations(session: Session, now: datetime) -> int:
    """Start waiting for the panel of every client whose SIM activation just succeeded."""
    cause = aliased(Signal)
    rows = session.execute(
        select(ReceiverAccount, Signal.id, cause.received_at)
        .join(Signal, Signal.client_id == ReceiverAccount.client_id)
        .join(TaskExecution, TaskExecution.id == Signal.execution_id)
        .join(Task, Task.id == TaskExecution.task_id)
        .join(cause, cause.id == TaskExecution.signal_id)
        .where(
            Signal.type_no == system_events.TASK_SUCCEEDED,
            Signal.received_at >= now - LOOKBACK,
            Task.type == JASPER,
            cause.type_no == system_events.CLIENT_COMMISSIONED,
            or_(
                ReceiverAccount.commissioned_at.is_(None), ReceiverAccount.commissioned_at < cause.received_at
            ),
        )
        .order_by(Signal.id)
    ).all()
    for account, signal_id, pressed_at in rows:
        account.commission_signal_id, account.commissioned_at, account.verdict = (
            signal_id,
            pressed_at,
            WAITING,
        )
        if account.last_event_at is not None and account.last_event_at >= pressed_at:
            client = session.get(Client, account.client_id)
            assert client is not None  # a foreign key
            panel_heard(session, client, account)
    session.flush()
    return len(rows)


def window_s(session: Session) -> int:
    return int(system_settings.get(session, system_settings.PANEL_REPORT_WINDOW_S))


def due_silent(session: Session, now: datetime) -> list[int]:
    """Receiver accounts still waiting for their panel when the window has passed."""
    cutoff = now - timedelta(seconds=window_s(session))
    return list(
        session.scalars(
            select(ReceiverAccount.id).where(
                ReceiverAccount.verdict == WAITING, ReceiverAccount.commissioned_at <= cutoff
            )
        )
    )


def due_tests(session: Session, now: datetime) -> list[int]:
    """Receiver accounts of commissioned clients whose test report is overdue, not yet diagnosed."""
    rows = session.execute(
        select(ReceiverAccount, Client)
        .join(Client, Client.id == ReceiverAccount.client_id)
        .where(
            ReceiverAccount.test_interval_min.is_not(None),
            ReceiverAccount.test_missed_at.is_(None),
            Client.retired_at.is_(None),
        )
    ).all()
    due = []
    for account, client in rows:
        if not clients.is_commissioned(client):
            continue
        since = max(t for t in (account.last_test_at, client.commissioned_at, account.created_at) if t)
        if since + timedelta(minutes=account.test_interval_min or 0) <= now:
            due.append(account.id)
    return due


@dataclass(frozen=True)
class SimReading:
    """What the carrier says of a client's SIMs now, in words for the memo, and the diagnosis."""

    text: str
    diagnosis: str


def read_sims(client_id: int) -> SimReading:
    """Read each SIM of the client live (status, and sessions this cycle where the platform tells)."""
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        found = [sim.iccid for sim in sims.of_client(session, client)]
    if not found:
        return SimReading("no SIM on the client", "no SIM to read")
    parts, diagnoses = [], []
    for iccid in found:
        text, diagnosis = _read_one(client_id, iccid)
        parts.append(text)
        diagnoses.append(diagnosis)
    return SimReading("; ".join(parts), _worst(diagnoses))


_ORDER = [
    "SIM deactivated or suspended at the carrier",
    "SIM active but not attached",
    "carrier not reachable",
    "SIM fine",
]


def _worst(diagnoses: list[str]) -> str:
    return min(diagnoses, key=lambda found: _ORDER.index(found) if found in _ORDER else len(_ORDER))


def _read_one(client_id: int, iccid: str) -> tuple[str, str]:
    try:
        located = sim_console.locate(lambda s: clients.get(s, client_id), iccid)
        details = sim_console.device(located)
        sessions = None
        if Capability.USAGE in located.platform.capabilities:
            sessions = sim_console.usage(located, None).session_count
    except (sim_console.CarrierProblem, Exception) as exc:
        message = exc.message if isinstance(exc, sim_console.CarrierProblem) else type(exc).__name__
        log.info("client %s SIM %s could not be read: %s", client_id, iccid, message)
        return f"SIM {iccid}: not read ({message})", "carrier not reachable"
    text = f"SIM {iccid}: {details.status}"
    if sessions is not None:
        text += f", {sessions} data sessions this cycle"
    if details.state in (SimState.SUSPENDED, SimState.TERMINATED, SimState.INVENTORY):
        return text, _ORDER[0]
    if sessions == 0:
        return text, _ORDER[1]
    return text, _ORDER[3]


def sweep(now: datetime | None = None, read: Callable[[int], SimReading] = read_sims) -> int:
    """Adopt new activations, then report silent panels and missed tests; returns signals logged.

    The carrier is read with no transaction open; each verdict is then written in its own.
    """
    now = now or utcnow()
    with unit_of_work() as session:
        adopt_activations(session, now)
        silent, missed = due_silent(session, now), due_tests(session, now)
    logged = 0
    for account_id in silent:
        logged += _conclude(account_id, now, read, _silent)
    for account_id in missed:
        logged += _conclude(account_id, now, read, _missed)
    return logged


Verdict = Callable[[Session, Client, ReceiverAccount, SimReading, datetime], bool]


def _conclude(account_id: int, now: datetime, read: Callable[[int], SimReading], verdict: Verdict) -> int:
    with unit_of_work() as session:
        account = session.get(ReceiverAccount, account_id)
        client_id = account.client_id if account else None
    if client_id is None:
        return 0
    reading = read(client_id)
    with unit_of_work() as session:
        account = session.get(ReceiverAccount, account_id, with_for_update=True)
        client = session.get(Client, client_id)
        if account is None or client is None:
            return 0
        return int(verdict(session, client, account, reading, now))


def _silent(
    session: Session, client: Client, account: ReceiverAccount, reading: SimReading, now: datetime
) -> bool:
    if account.verdict != WAITING:  # the panel spoke while the carrier was read
        return False
    account.verdict = SILENT
    minutes = window_s(session) // 60
    memo = (
        f"panel silent after commissioning (no signal in {minutes} min); {reading.text}; {reading.diagnosis}"
    )
    signals.log_signal(session, client, system_events.PANEL_SILENT, memo=memo, source=SignalSource.AUTO)
    return True


def _missed(
    session: Session, client: Client, account: ReceiverAccount, reading: SimReading, now: datetime
) -> bool:
    if account.test_missed_at is not None:
        return False
    account.test_missed_at = now
    expected = f"expected every {account.test_interval_min} min"
    memo = f"test report missed ({expected}): {reading.diagnosis}; {reading.text}"
    signals.log_signal(session, client, system_events.TEST_REPORT_MISSED, memo=memo, source=SignalSource.AUTO)
    return True


@dataclass(frozen=True)
class SilentPanel:
    client_id: int
    client_code: str
    client_name: str
    account: str
    commissioned_at: datetime


def silent_panels(session: Session) -> list[SilentPanel]:
    """Panels that stayed silent after their commissioning and have not reported since (attention)."""
    rows = session.execute(
        select(Client, ReceiverAccount.account, ReceiverAccount.commissioned_at)
        .join(Client, Client.id == ReceiverAccount.client_id)
        .where(ReceiverAccount.verdict == SILENT, Client.retired_at.is_(None))
        .order_by(ReceiverAccount.commissioned_at.desc())
    ).all()
    return [
        SilentPanel(client.id, client.label, client.name, account, at)
        for client, account, at in rows
        if at is not None
    ]
