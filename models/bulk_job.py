from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class BulkKind(enum.StrEnum):
    COMMISSION = "commission"
    DECOMMISSION = "decommission"


class BulkJob(Base):
    """One bulk file run through the pipeline, row by row (its rows are ``BulkRow``).

    A file is known by its kind and the SHA-256 of its bytes: running the same file again finds this
    job and resumes it, so a row already applied is never applied twice. ``row_count`` and
    ``invalid_count`` are fixed when the file is validated; the other counts are the rows' statuses.
    """

    __tablename__ = "bulk_job"
    __table_args__ = (Index("ix_bulk_job_kind_sha256", "kind", "sha256", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[BulkKind] = mapped_column(
        Enum(BulkKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(100))
    skip_bad_rows: Mapped[bool] = mapped_column(Boolean, default=False)
    row_count: Mapped[int] = mapped_column(Integer)
    invalid_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
