from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class User(Base):
    """A person or robot in response plans, such as the global "Jasper" user. Not a login account."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_global: Mapped[bool] = mapped_column(Boolean, default=True)
