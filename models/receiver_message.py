from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow


class ReceiverMessage(Base):
    """A DC-09 message the receiver stored and acknowledged, kept a while to spot its repeats.

    A panel that missed our ACK sends the same message again (same sequence number and timestamp);
    ``dedup_key`` (sequence, panel timestamp, content) is unique per account, so it is logged once.
    Rows older than the receiver's dedup window are pruned.
    """

    __tablename__ = "receiver_message"
    __table_args__ = (
        UniqueConstraint("receiver_account_id", "dedup_key"),
        Index("ix_receiver_message_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receiver_account_id: Mapped[int] = mapped_column(ForeignKey("receiver_account.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(120))
    signal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("signal.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
