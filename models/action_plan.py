from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ActionPlan(Base):
    """How a signal is handled. Priority 0 raises no operator alarm: the fully automated pattern."""

    __tablename__ = "action_plan"
    __table_args__ = (CheckConstraint("priority BETWEEN 0 AND 255", name="priority_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    default_response_plan_id: Mapped[int | None] = mapped_column(ForeignKey("response_plan.id"))
