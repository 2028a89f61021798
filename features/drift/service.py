"""Drift as staff use it: ask for a reconciliation now, and how drift went over the last days."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from centre import oplog
from centre.errors import NotFound
from features.drift.read import accounts_to_read
from models import CommunicatorType, SimDrift, utcnow
from pipeline import outbox

log = logging.getLogger(__name__)

ACCOUNT_TASK = "reconcile.account"  # features/drift/celery_tasks.py
QUEUE = "commissioner"


def request_reconcile(session: Session, operator: str, communicator_type_id: int | None = None) -> int:
    """Queue a reconciliation of one carrier account (or of every one that can be read) now; returns how
    many. The workers read the carrier (paced like every call); what they find fills the Drift page."""
    if communicator_type_id is not None and session.get(CommunicatorType, communicator_type_id) is None:
        raise NotFound(f"no communicator type {communicator_type_id}")
    wanted = [communicator_type_id] if communicator_type_id is not None else accounts_to_read()
    oplog.record(session, operator, "reconcile.request", f"{len(wanted)} carrier accounts to read now")
    sent = 0
    for comm_id in wanted:
        try:
            outbox.send(ACCOUNT_TASK, [comm_id], QUEUE)
            sent += 1
        except Exception as exc:  # the broker is down: the next scheduled run reads it anyway
            log.warning("could not ask for a reconciliation now (%s)", type(exc).__name__)
    return sent


@dataclass(frozen=True)
class Day:
    start: datetime
    open: int  # SIMs out of line at the end of the day
    found: int  # drift found that day


def drift_per_day(session: Session, days: int = 14, now: datetime | None = None) -> list[Day]:
    """How many SIMs were out of line at the end of each of the last ``days`` days, and how many
    were found each day, oldest first (the Drift page's chart)."""
    now = now or utcnow()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=days - 1)
    rows = session.execute(
        select(SimDrift.detected_at, SimDrift.resolved_at).where(
            or_(SimDrift.resolved_at.is_(None), SimDrift.resolved_at >= first)
        )
    ).all()
    result = []
    for n in range(days):
        start, end = first + timedelta(days=n), first + timedelta(days=n + 1)
        end_of_day = min(end, now)
        open_then = sum(
            1 for found, gone in rows if found < end_of_day and (gone is None or gone >= end_of_day)
        )
        found_then = sum(1 for found, _gone in rows if start <= found < end)
        result.append(Day(start, open_then, found_then))
    return result
