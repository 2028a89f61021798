from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Task(Base):
    """A configured background task of some type (``jasper`` ...).

    Task-level errors and system signals are logged against ``system_account_id`` when it is set.
    """

    __tablename__ = "task"
    __table_args__ = (CheckConstraint("task_no > 0", name="task_no_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_no: Mapped[int] = mapped_column(Integer, unique=True)
    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    system_account_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
