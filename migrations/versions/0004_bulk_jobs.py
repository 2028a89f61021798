"""bulk jobs: bulk commissioning files and their rows

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:02:39.257905
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("commission", "decommission", name="bulkkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("skip_bad_rows", sa.Boolean(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("invalid_count", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_job")),
    )
    with op.batch_alter_table("bulk_job", schema=None) as batch_op:
        batch_op.create_index("ix_bulk_job_kind_sha256", ["kind", "sha256", "id"], unique=False)

    op.create_table(
        "bulk_row",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("client_code", sa.String(length=100), nullable=False),
        sa.Column("iccid", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "applied",
                "succeeded",
                "failed",
                "skipped",
                "invalid",
                name="bulkrowstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("signal_ids", sa.JSON(), nullable=False),
        sa.Column("execution_ids", sa.JSON(), nullable=False),
        sa.Column("applied_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_bulk_row_client_id_client"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["bulk_job.id"], name=op.f("fk_bulk_row_job_id_bulk_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_row")),
        sa.UniqueConstraint("job_id", "number", name=op.f("uq_bulk_row_job_id_number")),
    )
    with op.batch_alter_table("bulk_row", schema=None) as batch_op:
        batch_op.create_index("ix_bulk_row_job_id_status", ["job_id", "status", "number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bulk_row", schema=None) as batch_op:
        batch_op.drop_index("ix_bulk_row_job_id_status")

    op.drop_table("bulk_row")
    with op.batch_alter_table("bulk_job", schema=None) as batch_op:
        batch_op.drop_index("ix_bulk_job_kind_sha256")

    op.drop_table("bulk_job")
