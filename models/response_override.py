from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ResponseOverride(Base):
    """Use another response plan for an action plan on one client, one template or one dealer."""

    __tablename__ = "response_override"
    __table_args__ = (
        UniqueConstraint("action_plan_id", "client_id"),
        UniqueConstraint("action_plan_id", "dealer_id"),
        CheckConstraint("(client_id IS NULL) <> (dealer_id IS NULL)", name="client_xor_dealer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id", ondelete="CASCADE"))
    response_plan_id: Mapped[int] = mapped_column(ForeignKey("response_plan.id"))
    # A client or a template account (templates are clients with is_template set).
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id", ondelete="CASCADE"))
