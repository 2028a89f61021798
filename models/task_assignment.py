from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class TaskAssignment(Base):
    """A task that fires for a user of a response plan, with its options (e.g. Command Type)."""

    __tablename__ = "task_assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("response_plan_entry.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
