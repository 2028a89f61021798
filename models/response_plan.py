from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.response_plan_entry import ResponsePlanEntry


class ResponsePlan(Base):
    """An ordered list of users to respond to a signal; their task assignments fire automatically."""

    __tablename__ = "response_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    entries: Mapped[list[ResponsePlanEntry]] = relationship(
        order_by=ResponsePlanEntry.position, cascade="all, delete-orphan"
    )
