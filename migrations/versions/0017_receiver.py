"""the SIA DC-09 receiver: receiver accounts, their recent messages, the panel event map; webhook endpoints

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import BigId, UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "receiver_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=16), nullable=False),
        sa.Column("receiver_no", sa.Integer(), nullable=True),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("key_encrypted", sa.Text(), nullable=True),
        sa.Column("test_interval_min", sa.Integer(), nullable=True),
        sa.Column("last_event_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_test_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("test_missed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("commission_signal_id", sa.Integer(), nullable=True),
        sa.Column("commissioned_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_receiver_account_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receiver_account")),
        sa.UniqueConstraint("account", name=op.f("uq_receiver_account_account")),
        sa.UniqueConstraint("client_id", name=op.f("uq_receiver_account_client_id")),
    )
    op.create_table(
        "receiver_message",
        sa.Column("id", BigId, nullable=False),
        sa.Column("receiver_account_id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=120), nullable=False),
        sa.Column("signal_id", BigId, nullable=True),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["receiver_account_id"],
            ["receiver_account.id"],
            name=op.f("fk_receiver_message_receiver_account_id_receiver_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["signal.id"],
            name=op.f("fk_receiver_message_signal_id_signal"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receiver_message")),
        sa.UniqueConstraint(
            "receiver_account_id", "dedup_key", name=op.f("uq_receiver_message_receiver_account_id_dedup_key")
        ),
    )
    op.create_index("ix_receiver_message_received_at", "receiver_message", ["received_at"], unique=False)
    op.create_table(
        "panel_event_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("type_no", sa.Integer(), nullable=False),
        sa.Column("zone", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=100), nullable=False),
        sa.Column("test_report", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_event_code")),
        sa.UniqueConstraint("protocol", "code", name=op.f("uq_panel_event_code_protocol_code")),
    )
    op.create_table(
        "webhook_endpoint",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_webhook_endpoint")),
    )


def downgrade() -> None:
    op.drop_table("webhook_endpoint")
    op.drop_table("panel_event_code")
    op.drop_index("ix_receiver_message_received_at", table_name="receiver_message")
    op.drop_table("receiver_message")
    op.drop_table("receiver_account")
