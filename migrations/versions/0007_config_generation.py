"""config generation: the token configuration caches are valid for

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 04:40:00.000000
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "config_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_generation")),
    )
    # Random, as every later token: see models/config_generation.py.
    op.bulk_insert(table, [{"id": 1, "value": secrets.randbits(62)}])


def downgrade() -> None:
    op.drop_table("config_generation")
