from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class EventType(Base):
    """What a signal type number means on one client or template, and the action plan it gets."""

    __tablename__ = "event_type"
    __table_args__ = (
        UniqueConstraint("client_id", "type_no"),
        CheckConstraint("type_no BETWEEN 0 AND 65535", name="type_no_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    type_no: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    action_plan_id: Mapped[int | None] = mapped_column(ForeignKey("action_plan.id"))
