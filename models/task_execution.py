from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow

# A carrier's own error code: REST's are 8 digits, but SOAP's EditTerminal faults are schema tokens
# (SIMSTATUS_TRANSITION_UNAUTHORIZED) and emnify's are words; longer ones are clipped when written.
ERROR_CODE_LENGTH = 64


class ExecutionStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    UNCONFIRMED = "unconfirmed"


ACTIVE_STATUSES = (ExecutionStatus.PENDING, ExecutionStatus.RUNNING)


class TaskExecution(Base):
    """One run of a task assignment for one signal and one target: the unit of truth.

    Celery only rings the doorbell; this row decides. A worker may act on it only while it holds the
    lease (``lease_until`` in the future) under ``lease_token``, which it must present to record the
    outcome, so a stale or duplicate delivery can neither act twice nor overwrite a newer result.
    ``target_key`` names what the execution changes (e.g. one SIM): executions with the same key run one
    at a time in creation order, and an older one that a newer one has overtaken is superseded.
    """

    __tablename__ = "task_execution"
    __table_args__ = (
        Index("ix_task_execution_due", "status", "next_attempt_at"),
        Index("ix_task_execution_target", "target_key", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    signal_id: Mapped[int] = mapped_column(BigId, ForeignKey("signal.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    target_key: Mapped[str | None] = mapped_column(String(100))
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[ExecutionStatus] = mapped_column(
        Enum(
            ExecutionStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ExecutionStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_token: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(ERROR_CODE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
