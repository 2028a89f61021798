from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CommunicatorType(Base):
    """A carrier account: where its API is and how to log in. The API key is stored encrypted."""

    __tablename__ = "communicator_type"
    __table_args__ = (
        CheckConstraint(
            "calls_per_second >= 0.01 AND calls_per_second <= 1000", name="calls_per_second_range"
        ),
        CheckConstraint(
            "terminate_after_days >= 1 AND terminate_after_days <= 3650", name="terminate_after_days_range"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    server_address: Mapped[str] = mapped_column(String(500))
    user_name: Mapped[str] = mapped_column(String(200))
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    # The carrier's per-account limit, shared by every worker on every host (carriers publish 1 to 5).
    calls_per_second: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    # Decommission policy: a decommissioned client's SIMs are stopped (what stops billing on the
    # platform); with this set, they are terminated this many days later (features/decommission_policy).
    terminate_after_days: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:  # never the key, not even encrypted
        return f"CommunicatorType(id={self.id!r}, name={self.name!r}, kind={self.kind!r})"
