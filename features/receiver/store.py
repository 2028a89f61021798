"""One panel message, one transaction: the duplicate check, the signal through the pipeline, the
panel's timers. The receiver acknowledges the message only after this commits.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
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


def record(event: PanelEvent) -> int | None:
    """Log ``event`` on its client and commit; the signal's id, or None for a message already logged.

    Raises AccountGone for an account no longer there; anything else raised means nothing was
    stored (the panel is then not acknowledged, and sends the message again).
    """
    try:
        with unit_of_work() as session:
            return _record(session, event)
    except IntegrityError:
        # Another receiver process stored the same message between our check and our insert.
        with unit_of_work() as session:
            if _seen(session, event):
                return None
        raise


def _seen(session: Session, event: PanelEvent) -> bool:
    found = session.scalar(
        select(ReceiverMessage.id).where(
            ReceiverMessage.receiver_account_id == event.receiver_account_id,
            ReceiverMessage.dedup_key == event.dedup_key,
        )
    )
    return found is not None


def _record(session: Session, event: PanelEvent) -> int | None:
    account = session.get(ReceiverAccount, event.receiver_account_id)
    client = session.get(Client, account.client_id) if account is not None else None
    if account is None or client is None or client.retired_at is not None:
        raise AccountGone(f"receiver account {event.receiver_account_id} is gone")
    if _seen(session, event):
        log.info("account %s: message %s sent again, logged once", account.account, event.sequence)
        return None
    mapped = mapping.lookup(session, event.protocol, event.code, event.zone)
    signal = signals.log_signal(
        session,
        client,
        mapped.type_no,
        zone=mapped.zone,
        memo=_memo(event, mapped),
        source=SignalSource.RECEIVER,
    )
    session.add(
        ReceiverMessage(receiver_account_id=account.id, dedup_key=event.dedup_key, signal_id=signal.id)
    )
    now = utcnow()
    account.last_event_at = now
    if mapped.test_report:
        account.last_test_at, account.test_missed_at = now, None
    verify.panel_heard(session, client, account)
    session.flush()
    return signal.id


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
