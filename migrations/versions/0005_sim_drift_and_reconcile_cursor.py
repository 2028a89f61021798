"""sim drift and reconcile cursor

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 02:13:17.861120
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconcile_cursor",
        sa.Column("communicator_type_id", sa.Integer(), nullable=False),
        sa.Column("checked_until", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["communicator_type_id"],
            ["communicator_type.id"],
            name=op.f("fk_reconcile_cursor_communicator_type_id_communicator_type"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("communicator_type_id", name=op.f("pk_reconcile_cursor")),
    )
    op.create_table(
        "sim_drift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iccid", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("communicator_type_id", sa.Integer(), nullable=False),
        sa.Column("expected_status", sa.String(length=32), nullable=False),
        sa.Column("carrier_status", sa.String(length=32), nullable=False),
        sa.Column("detected_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_sim_drift_client_id_client"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["communicator_type_id"],
            ["communicator_type.id"],
            name=op.f("fk_sim_drift_communicator_type_id_communicator_type"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sim_drift")),
    )
    with op.batch_alter_table("sim_drift", schema=None) as batch_op:
        batch_op.create_index("ix_sim_drift_open", ["resolved_at", "iccid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sim_drift", schema=None) as batch_op:
        batch_op.drop_index("ix_sim_drift_open")

    op.drop_table("sim_drift")
    op.drop_table("reconcile_cursor")
