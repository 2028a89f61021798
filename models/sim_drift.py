from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class SimDrift(Base):
    """A SIM whose status at the carrier differs from what we believe it should be.

    Open while ``resolved_at`` is empty; the reconciler closes it when the carrier agrees again.
    """

    __tablename__ = "sim_drift"
    __table_args__ = (Index("ix_sim_drift_open", "resolved_at", "iccid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iccid: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    communicator_type_id: Mapped[int] = mapped_column(ForeignKey("communicator_type.id", ondelete="CASCADE"))
    expected_status: Mapped[str] = mapped_column(String(32))
    carrier_status: Mapped[str] = mapped_column(String(32))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
