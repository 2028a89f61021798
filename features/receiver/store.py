"""Panel messages into the history: the duplicate check, the signal through the pipeline, the panel's
timers, in one transaction per batch (group commit). The receiver acknowledges a message only after
its batch commits. A batch costs a few statements, whatever its size: one each for the accounts, the
message keys, the signals, the keys' signals and the accounts' timers.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from centre import validation
from features.receiver import mapping, verify
from models import Client, ReceiverAccount, ReceiverMessage, SignalSource, utcnow
from models.db import unit_of_work
from pipeline import signals

log = logging.getLogger(__name__)


class AccountGone(Exception):
    """The receiver account was removed (or its client retired) since the receiver last read them."""


@dataclass(frozen=True)
class PanelEvent:
    """A parsed, checked DC-09 event, as primitives (the receiver hands it to a worker thread)."""

    receiver_account_id: int
    protocol: str  # mapping.SIA or mapping.CID
    code: str  # "BA", or Contact ID qualifier + event "1130"
    zone: int
    text: str  # what else the message says (SIA code meaning, area ...)
    sequence: str
    timestamp: str  # the panel's own, "" when it sent none

    @property
    def dedup_key(self) -> str:
        """Same account, sequence number, timestamp and content: the same message sent again."""
        content = f"{self.protocol}:{self.code}:{self.zone}:{self.text}"
        digest = hashlib.sha256(content.encode()).hexdigest()[:32]
        return f"{self.sequence}|{self.timestamp}|{digest}"


STORED, REPEAT, GONE, FAILED = "stored", "repeat", "gone", "failed"


@dataclass(frozen=True)
class Recorded:
    """What became of one event of a batch: STORED (with its signal), REPEAT or GONE."""

    status: str
    signal_id: int | None = None


def record(event: PanelEvent) -> int | None:
    """Log ``event`` on its client and commit; the signal's id, or None for a message already logged.

    Raises AccountGone for an account no longer there; anything else raised means nothing was
    stored (the panel is then not acknowledged, and sends the message again).
    """
    with unit_of_work() as session:
        [recorded] = record_batch(session, [event])
    if recorded.status == GONE:
        raise AccountGone(f"receiver account {event.receiver_account_id} is gone")
    return recorded.signal_id


def record_many(events: list[PanelEvent]) -> list[str]:
    """Log ``events`` (of different accounts) in one transaction, so that many panels share a commit;
    per event STORED, REPEAT, GONE or FAILED, all true once this returns (committed).

    If the batch fails as a whole, each event is tried in a transaction of its own, so one bad event
    never keeps the others from being stored and acknowledged.
    """
    try:
        with unit_of_work() as session:
            return [recorded.status for recorded in record_batch(session, events)]
    except Exception:
        if len(events) == 1:
            return [_alone(events[0])]
        log.warning("a batch of %d panel events failed; storing them one by one", len(events), exc_info=True)
        return [_alone(event) for event in events]


def _alone(event: PanelEvent) -> str:
    try:
        return STORED if record(event) is not None else REPEAT
    except AccountGone:
        return GONE
    except Exception:
        log.exception(
            "panel event of receiver account %s (%s) not stored", event.receiver_account_id, event.sequence
        )
        return FAILED


@dataclass(frozen=True)
class _New:
    event: PanelEvent
    account: ReceiverAccount
    client: Client
    message_id: int
    mapped: mapping.Mapped


def record_batch(session: Session, events: list[PanelEvent]) -> list[Recorded]:
    """Log ``events`` in the caller's transaction, as a few statements for the whole batch: the
    accounts, the message keys (the duplicate check), the signals, the keys' signals, the timers."""
    found = _accounts(session, {event.receiver_account_id for event in events})
    # The duplicate check is the insert of the messages' keys itself (unique per account), first: a
    # repeat then does nothing more, and two receivers cannot both log one message.
    keys = _insert_once(
        session, [(e.receiver_account_id, e.dedup_key) for e in events if e.receiver_account_id in found]
    )
    results: list[Recorded | _New] = []
    for event in events:
        if event.receiver_account_id not in found:
            results.append(Recorded(GONE))
            continue
        account, client = found[event.receiver_account_id]
        message_id = keys.pop((account.id, event.dedup_key), None)  # a key twice in a batch: once
        if message_id is None:
            log.info("account %s: message %s sent again, logged once", account.account, event.sequence)
            results.append(Recorded(REPEAT))
            continue
        mapped = mapping.lookup_cached(session, event.protocol, event.code, event.zone)
        results.append(_New(event, account, client, message_id, mapped))
    new = [r for r in results if isinstance(r, _New)]
    signal_ids = iter(_log(session, new))  # in the order of ``new``, which is the order of ``results``
    for n in new:
        _heard(session, n)
    session.flush()
    return [r if isinstance(r, Recorded) else Recorded(STORED, next(signal_ids)) for r in results]


def _accounts(session: Session, ids: set[int]) -> dict[int, tuple[ReceiverAccount, Client]]:
    """The receiver accounts of ``ids`` still there, with their clients (not retired)."""
    rows = session.execute(
        select(ReceiverAccount, Client)
        .join(Client, Client.id == ReceiverAccount.client_id)
        .where(ReceiverAccount.id.in_(ids), Client.retired_at.is_(None))
    ).all()
    return {account.id: (account, client) for account, client in rows}


def _insert_once(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """Store the messages' keys; the ids of those not stored before (INSERT ... ON CONFLICT DO NOTHING)."""
    if not keys:
        return {}
    now = utcnow()
    rows = [{"receiver_account_id": a, "dedup_key": k, "received_at": now} for a, k in keys]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ReceiverMessage)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(ReceiverMessage.receiver_account_id, ReceiverMessage.dedup_key, ReceiverMessage.id)
    )
    return {(a, k): message_id for a, k, message_id in session.execute(statement)}


def _log(session: Session, new: list[_New]) -> list[int]:
    """The events' signals through the pipeline, one INSERT for all; their ids, in order."""
    if not new:
        return []
    logged = signals.log_signals(
        session,
        [
            signals.NewSignal(
                n.client,
                n.mapped.type_no,
                SignalSource.RECEIVER,
                zone=n.mapped.zone,
                memo=_memo(n.event, n.mapped),
            )
            for n in new
        ],
    )
    session.execute(
        update(ReceiverMessage),
        [{"id": n.message_id, "signal_id": signal.id} for n, signal in zip(new, logged, strict=True)],
    )
    return [signal.id for signal in logged]


def _heard(session: Session, new: _New) -> None:
    """The panel's timers, and a commissioning that waited for it."""
    now = utcnow()
    new.account.last_event_at = now
    if new.mapped.test_report:
        new.account.last_test_at, new.account.test_missed_at = now, None
    verify.panel_heard(session, new.client, new.account)


def _memo(event: PanelEvent, mapped: mapping.Mapped) -> str:
    label = "SIA" if event.protocol == mapping.SIA else "Contact ID"
    text = f"{label} {event.code} {mapped.description}"
    if event.text:
        text += f" ({event.text})"
    return validation.clipped(f"{text}; sequence {event.sequence}")


def prune(older_than_s: float) -> int:
    """Forget stored messages older than ``older_than_s``: repeats come within minutes."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    with unit_of_work() as session:
        result = session.execute(delete(ReceiverMessage).where(ReceiverMessage.received_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
