from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Zone(Base):
    """A zone (or user) number on a client or template; its action plan beats the event type's."""

    __tablename__ = "zone"
    __table_args__ = (
        UniqueConstraint("client_id", "zone_no"),
        CheckConstraint("zone_no BETWEEN 0 AND 65535", name="zone_no_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    zone_no: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200), default="")
    action_plan_id: Mapped[int | None] = mapped_column(ForeignKey("action_plan.id"))
