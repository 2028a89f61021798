"""carrier limits: calls per second from 0.01 (a tiny rate, 1e-300, pushed the stored pacing slot 1e300 s
ahead; rows below the bound, a typo and never a carrier's limit, are raised to it), and pacing slots in
the database, shared by every host when there is no Redis

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ck_communicator_type_calls_per_second_range"


def _bound(condition: str) -> None:
    with op.batch_alter_table("communicator_type", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_NAME), type_="check")
        batch_op.create_check_constraint(op.f(_NAME), condition)


def upgrade() -> None:
    op.get_bind().execute(
        sa.text("UPDATE communicator_type SET calls_per_second = 0.01 WHERE calls_per_second < 0.01")
    )
    _bound("calls_per_second >= 0.01 AND calls_per_second <= 1000")
    op.create_table(
        "pacing_slot",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("next_free", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_pacing_slot")),
    )


def downgrade() -> None:
    op.drop_table("pacing_slot")
    _bound("calls_per_second > 0 AND calls_per_second <= 1000")
