from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class ReconcileCursor(Base):
    """How far the reconciler has read a carrier account's changes: the next run asks for what
    changed since ``checked_until``, so a run costs calls in proportion to what changed."""

    __tablename__ = "reconcile_cursor"

    communicator_type_id: Mapped[int] = mapped_column(
        ForeignKey("communicator_type.id", ondelete="CASCADE"), primary_key=True
    )
    checked_until: Mapped[datetime] = mapped_column(UTCDateTime)
