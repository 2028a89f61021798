from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PanelEventCode(Base):
    """How a panel's event becomes a signal: a SIA code (``sia``, e.g. ``BA``) or a Contact ID
    qualifier and event (``cid``, e.g. ``1130``) gives the type number; the zone is the message's own
    unless ``zone`` fixes one. ``test_report`` events reset the client's test timer."""

    __tablename__ = "panel_event_code"
    __table_args__ = (UniqueConstraint("protocol", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    protocol: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(8))
    type_no: Mapped[int] = mapped_column(Integer)
    zone: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(100), default="")
    test_report: Mapped[bool] = mapped_column(Boolean, default=False)
