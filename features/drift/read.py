"""Run drift reconciliation against the carrier: read what changed, then judge it (judge.py).

Each account is read through its paced client, so a run stays within the calls-per-second budget.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from carriers import pool, registry
from carriers.accounts import account_of
from carriers.platform import Capability
from config import get_config
from features.drift import judge
from features.drift.judge import CarrierSim, RunSummary
from models import CommunicatorType, utcnow
from models.db import unit_of_work

# The carrier's clock and ours differ a little, and a change may be stamped before it is searchable:
# each run reads a few minutes before where the last one stopped.
OVERLAP = timedelta(minutes=5)
# Control Center refuses a modifiedSince more than a year back.
OLDEST = timedelta(days=364)


def run_account(communicator_type_id: int, since: datetime | None = None) -> RunSummary:
    """Reconcile one carrier account from ``since`` (default: where the last run stopped)."""
    config = get_config()
    started = utcnow()
    with unit_of_work() as session:
        comm = session.get(CommunicatorType, communicator_type_id)
        assert comm is not None
        account = account_of(comm)
        default = started - timedelta(seconds=config.reconcile_initial_lookback_s)
        since = since or judge.cursor(session, comm, default)
    read_from = max(since - OVERLAP, started - OLDEST)
    seen = [CarrierSim(d.iccid, d.status) for d in pool.carrier(account).changed_since(read_from)]
    with unit_of_work() as session:
        comm = session.get(CommunicatorType, communicator_type_id)
        assert comm is not None
        summary = judge.apply(session, comm, read_from, seen, "reconciler")
        judge.advance(session, comm, started)
    return summary


def accounts_to_read() -> list[int]:
    """The communicator types whose platform can list what changed (the others cannot be reconciled
    this way)."""
    kinds = [
        kind
        for kind, platform in registry.PLATFORMS.items()
        if Capability.CHANGES_SINCE in platform.capabilities
    ]
    with unit_of_work() as session:
        return list(
            session.scalars(
                select(CommunicatorType.id)
                .where(CommunicatorType.kind.in_(kinds))
                .order_by(CommunicatorType.id)
            )
        )
