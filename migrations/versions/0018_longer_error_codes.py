"""a carrier's error code up to 64 characters: SOAP's EditTerminal faults are schema tokens
(SIMSTATUS_TRANSITION_UNAUTHORIZED is 33), which did not fit 16 and failed the outcome's write

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 19:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task_execution", schema=None) as batch_op:
        batch_op.alter_column(
            "error_code",
            existing_type=sa.String(length=16),
            type_=sa.String(length=64),
            existing_nullable=True,
        )


def downgrade() -> None:
    # Codes longer than 16 are clipped: the full text stays in last_error.
    op.execute(
        "UPDATE task_execution SET error_code = substr(error_code, 1, 16) WHERE length(error_code) > 16"
    )
    with op.batch_alter_table("task_execution", schema=None) as batch_op:
        batch_op.alter_column(
            "error_code",
            existing_type=sa.String(length=64),
            type_=sa.String(length=16),
            existing_nullable=True,
        )
