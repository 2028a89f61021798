"""a communicator type's decommission policy: terminate SIMs N days after decommissioning (optional)

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03 16:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("communicator_type", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terminate_after_days", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            "terminate_after_days_range", "terminate_after_days >= 1 AND terminate_after_days <= 3650"
        )


def downgrade() -> None:
    with op.batch_alter_table("communicator_type", schema=None) as batch_op:
        batch_op.drop_constraint("terminate_after_days_range", type_="check")
        batch_op.drop_column("terminate_after_days")
