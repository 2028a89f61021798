from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class OperatorLogin(Base):
    """A login to the web app: an operator (clients, history) or an admin (configuration too).

    Not a response-plan user (models/user.py): those are who responds to a signal, these are who logs in.
    The password is stored as a salted scrypt hash (centre/logins.py), never as given.
    """

    __tablename__ = "operator_account"
    __table_args__ = (CheckConstraint("role IN ('operator', 'admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:  # never the hash
        return f"OperatorLogin(id={self.id!r}, username={self.username!r}, role={self.role!r})"
