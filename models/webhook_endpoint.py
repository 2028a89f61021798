from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class WebhookEndpoint(Base):
    """Where the webhook task POSTs signals: an address and the HMAC secret (encrypted at rest,
    write-only). A webhook task assignment names its endpoint in its options."""

    __tablename__ = "webhook_endpoint"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
