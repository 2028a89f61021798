"""web accounts: login accounts for the web app and API tokens for other systems

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:49:45.552230
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('operator', 'admin')", name=op.f("ck_api_token_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("name", name=op.f("uq_api_token_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "operator_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('operator', 'admin')", name=op.f("ck_operator_account_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_account")),
        sa.UniqueConstraint("username", name=op.f("uq_operator_account_username")),
    )


def downgrade() -> None:
    op.drop_table("operator_account")
    op.drop_table("api_token")
