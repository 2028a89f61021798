from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class ApiToken(Base):
    """A bearer token another system uses on the JSON API, with the role it acts in.

    Only the SHA-256 of the token is stored: tokens are long random strings, so a plain hash is enough
    (no salt or slow hash needed) and a database dump does not let anyone call the API.
    """

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint("role IN ('operator', 'admin')", name="role_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:  # never the hash
        return f"ApiToken(id={self.id!r}, name={self.name!r}, role={self.role!r})"
