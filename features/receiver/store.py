"""One panel message, one transaction: the duplicate check, the signal through the pipeline, the
panel's timers. The receiver acknowledges the message only after this commits.
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


def record(event: PanelEvent) -> int | None:
    """Log ``event`` on its client and commit; the signal's id, or None for a message already logged.

    Raises AccountGone for an account no longer there; anything else raised means nothing was
    stored (the panel is then not acknowledged, and sends the message again).
    """
    with unit_of_work() as session:
        return _record(session, event)


def record_many(events: list[PanelEvent]) -> list[str]:
    """Log ``events`` (of different accounts) in one transaction, so that many panels share a commit;
    per event STORED, REPEAT, GONE or FAILED, all true once this returns (committed).

    If the batch fails as a whole, each event is tried in a transaction of its own, so one bad event
    never keeps the others from being stored and acknowledged.
    """
    try:
        with unit_of_work() as session:
            return [STORED if _record(session, event) is not None else REPEAT for event in events]
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


def _record(session: Session, event: PanelEvent) -> int | None:
    found = session.execute(
        select(ReceiverAccount, Client)
        .join(Client, Client.id == ReceiverAccount.client_id)
        .where(ReceiverAccount.id == event.receiver_account_id)
    ).first()
    if found is None or found[1].retired_at is not None:
        raise AccountGone(f"receiver account {event.receiver_account_id} is gone")
    account, client = found
    # The duplicate check is the insert of the message's key itself (unique per account), first:
    # a repeat then does nothing more, and two receivers cannot both log one message.
    message_id = _insert_once(session, account.id, event.dedup_key)
    if message_id is None:
        log.info("account %s: message %s sent again, logged once", account.account, event.sequence)
        return None
    mapped = mapping.lookup_cached(session, event.protocol, event.code, event.zone)
    signal = signals.log_signal(
        session,
        client,
        mapped.type_no,
        zone=mapped.zone,
        memo=_memo(event, mapped),
        source=SignalSource.RECEIVER,
    )
    session.execute(update(ReceiverMessage), [{"id": message_id, "signal_id": signal.id}])
    now = utcnow()
    account.last_event_at = now
    if mapped.test_report:
        account.last_test_at, account.test_missed_at = now, None
    verify.panel_heard(session, client, account)
    session.flush()
    return signal.id


def _insert_once(session: Session, account_id: int, dedup_key: str) -> int | None:
    """Store the message's key; None if it is stored already (INSERT ... ON CONFLICT DO NOTHING)."""
    values = {"receiver_account_id": account_id, "dedup_key": dedup_key, "received_at": utcnow()}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ReceiverMessage).values(values).on_conflict_do_nothing().returning(ReceiverMessage.id)
    stored: int | None = session.execute(statement).scalar()
    return stored


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
