from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class WebSession(Base):
    """A logged-in session of the web app, kept on the server so that logging out, a password change or
    deactivating the login ends it, whatever copy of the cookie anyone kept. Only the SHA-256 of the
    session's token is stored; the token itself is in the signed cookie."""

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_login_id", "login_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    login_id: Mapped[int] = mapped_column(ForeignKey("operator_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # absolute: never extended
