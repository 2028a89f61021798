from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PacingSlot(Base):
    """The next free call slot of one carrier account, in seconds since the epoch by PostgreSQL's clock:
    the pacer every host shares when there is no Redis (carriers/pacing.py)."""

    __tablename__ = "pacing_slot"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_free: Mapped[float] = mapped_column(Float, default=0.0)
