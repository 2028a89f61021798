from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime


class BulkRowStatus(enum.StrEnum):
    QUEUED = "queued"  # valid, not applied yet
    APPLIED = "applied"  # commissioned or decommissioned; the carrier's outcome may follow
    SUCCEEDED = "succeeded"  # every task execution it created succeeded
    FAILED = "failed"  # an execution it created failed (or was superseded, or is unconfirmed)
    SKIPPED = "skipped"  # valid when checked, refused when its turn came: nothing of it was applied
    INVALID = "invalid"  # failed validation; never applied


class BulkRow(Base):
    """One data row of a bulk file: what to apply, and what became of it.

    ``number`` is the row as a spreadsheet shows it (the header is row 1). A row goes from queued to
    applied in the same transaction as its commission or decommission, so an interrupted run loses at
    most the row in flight and a resumed run never applies a row twice. ``finished_at`` is set once
    nothing more will happen to the row (its executions ended, or it created none).
    """

    __tablename__ = "bulk_row"
    __table_args__ = (
        UniqueConstraint("job_id", "number"),
        Index("ix_bulk_row_job_id_status", "job_id", "status", "number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_job.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    client_code: Mapped[str] = mapped_column(String(100))
    iccid: Mapped[str] = mapped_column(String(40), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the validated values to apply
    status: Mapped[BulkRowStatus] = mapped_column(
        Enum(BulkRowStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    message: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="SET NULL"))
    signal_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    execution_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
