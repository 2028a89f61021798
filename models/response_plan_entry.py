from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.task_assignment import TaskAssignment


class ResponsePlanEntry(Base):
    """One user in a response plan, at a position in the call order, with that user's task assignments."""

    __tablename__ = "response_plan_entry"
    __table_args__ = (UniqueConstraint("response_plan_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_plan_id: Mapped[int] = mapped_column(ForeignKey("response_plan.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    assignments: Mapped[list[TaskAssignment]] = relationship(
        order_by=TaskAssignment.id, cascade="all, delete-orphan"
    )
