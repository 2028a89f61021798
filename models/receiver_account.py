from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class ReceiverAccount(Base):
    """The account number a client's panel sends over SIA DC-09, and what the receiver knows of it.

    ``account`` is unique: the receiver finds the client by it alone (the receiver and line numbers,
    when set, must match too). ``key_encrypted`` is the AES key under config/secrets.py, never shown.
    ``verdict`` follows the panel after a commissioning: ``waiting`` for its first signal since
    ``commissioned_at`` (the activation that succeeded, outcome signal ``commission_signal_id``), then
    ``reported`` or ``silent``. A test timer (``test_interval_min``) expects a test report that often;
    ``test_missed_at`` marks a miss already diagnosed.
    """

    __tablename__ = "receiver_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), unique=True)
    account: Mapped[str] = mapped_column(String(16), unique=True)
    receiver_no: Mapped[int | None] = mapped_column(Integer)
    line_no: Mapped[int | None] = mapped_column(Integer)
    key_encrypted: Mapped[str | None] = mapped_column(Text)
    test_interval_min: Mapped[int | None] = mapped_column(Integer)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    test_missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    commission_signal_id: Mapped[int | None] = mapped_column(Integer)
    commissioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verdict: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
