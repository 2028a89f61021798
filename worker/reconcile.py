"""Run drift reconciliation against the carrier: read what changed, then judge it (services/reconcile.py).

Each account is read through its paced client, so a run stays within the calls-per-second budget.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from config import get_settings
from models import CommunicatorType, utcnow
from models.db import unit_of_work
from services import reconcile
from services.reconcile import CarrierSim, RunSummary
from services.task_types.jasper import KIND as JASPER
from worker.carriers.pool import account_of, clients

# The carrier's clock and ours differ a little, and a change may be stamped before it is searchable:
# each run reads a few minutes before where the last one stopped.
OVERLAP = timedelta(minutes=5)
# Control Center refuses a modifiedSince more than a year back.
OLDEST = timedelta(days=364)


def run_account(communicator_type_id: int, since: datetime | None = None) -> RunSummary:
    """Reconcile one carrier account from ``since`` (default: where the last run stopped)."""
    settings = get_settings()
    started = utcnow()
    with unit_of_work() as session:
        comm = session.get(CommunicatorType, communicator_type_id)
        assert comm is not None
        account = account_of(comm)
        default = started - timedelta(seconds=settings.reconcile_initial_lookback_s)
        since = since or reconcile.cursor(session, comm, default)
    read_from = max(since - OVERLAP, started - OLDEST)
    seen = [CarrierSim(d.iccid, d.status) for d in clients.get(account).search_devices(read_from)]
    with unit_of_work() as session:
        comm = session.get(CommunicatorType, communicator_type_id)
        assert comm is not None
        summary = reconcile.apply(session, comm, read_from, seen, "reconciler")
        reconcile.advance(session, comm, started)
    return summary


def jasper_accounts() -> list[int]:
    with unit_of_work() as session:
        return list(
            session.scalars(
                select(CommunicatorType.id)
                .where(CommunicatorType.kind == JASPER)
                .order_by(CommunicatorType.id)
            )
        )
