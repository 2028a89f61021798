from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Client(Base):
    """A monitored account, or a template account (``is_template``) that others inherit event types from.

    ``template_id`` forms the event-type template chain (client -> template -> its template ...).
    An area account points at its base account with ``base_client_id``; ``linked_to_base`` areas are
    commissioned and decommissioned together with the base.
    """

    __tablename__ = "client"
    __table_args__ = (
        UniqueConstraint("client_code", "area", "port"),
        Index("ix_client_name", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_code: Mapped[str] = mapped_column(String(16))
    area: Mapped[int] = mapped_column(Integer, default=1)
    port: Mapped[str] = mapped_column(String(8), default="1")
    name: Mapped[str] = mapped_column(String(200))
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"))
    base_client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    linked_to_base: Mapped[bool] = mapped_column(Boolean, default=False)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"))
    commissioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decommissioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decommission_reason: Mapped[str | None] = mapped_column(Text)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    # Retired: kept with its history, hidden from searches and lists, and changed no more.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        """How staff name the account: code, plus area and port when they are not the defaults."""
        if self.area == 1 and self.port == "1":
            return self.client_code
        return f"{self.client_code} area {self.area} port {self.port}"
