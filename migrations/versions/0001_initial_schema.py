"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 01:28:14.579227
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "communicator_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("server_address", sa.String(length=500), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communicator_type")),
        sa.UniqueConstraint("name", name=op.f("uq_communicator_type_name")),
    )
    op.create_table(
        "dealer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer")),
        sa.UniqueConstraint("name", name=op.f("uq_dealer_name")),
    )
    op.create_table(
        "response_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_plan")),
        sa.UniqueConstraint("name", name=op.f("uq_response_plan_name")),
    )
    op.create_table(
        "system_setting",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_system_setting")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_global", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("name", name=op.f("uq_user_name")),
    )
    op.create_table(
        "action_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("default_response_plan_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("priority BETWEEN 0 AND 255", name=op.f("ck_action_plan_priority_range")),
        sa.ForeignKeyConstraint(
            ["default_response_plan_id"],
            ["response_plan.id"],
            name=op.f("fk_action_plan_default_response_plan_id_response_plan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan")),
        sa.UniqueConstraint("name", name=op.f("uq_action_plan_name")),
    )
    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_code", sa.String(length=16), nullable=False),
        sa.Column("area", sa.Integer(), nullable=False),
        sa.Column("port", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_template", sa.Boolean(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("base_client_id", sa.Integer(), nullable=True),
        sa.Column("linked_to_base", sa.Boolean(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=True),
        sa.Column("commissioned_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decommissioned_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decommission_reason", sa.Text(), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_client_id"], ["client.id"], name=op.f("fk_client_base_client_id_client")
        ),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealer.id"], name=op.f("fk_client_dealer_id_dealer")),
        sa.ForeignKeyConstraint(["template_id"], ["client.id"], name=op.f("fk_client_template_id_client")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("client_code", "area", "port", name=op.f("uq_client_client_code_area_port")),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index("ix_client_name", ["name"], unique=False)

    op.create_table(
        "response_plan_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_plan_id"],
            ["response_plan.id"],
            name=op.f("fk_response_plan_entry_response_plan_id_response_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_response_plan_entry_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_plan_entry")),
        sa.UniqueConstraint(
            "response_plan_id",
            "user_id",
            name=op.f("uq_response_plan_entry_response_plan_id_user_id"),
        ),
    )
    op.create_table(
        "addon_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("communicator_type_id", sa.Integer(), nullable=False),
        sa.Column("device_ref_no", sa.String(length=32), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_addon_device_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["communicator_type_id"],
            ["communicator_type.id"],
            name=op.f("fk_addon_device_communicator_type_id_communicator_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addon_device")),
        sa.UniqueConstraint(
            "communicator_type_id",
            "device_ref_no",
            name=op.f("uq_addon_device_communicator_type_id_device_ref_no"),
        ),
    )
    with op.batch_alter_table("addon_device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addon_device_client_id"), ["client_id"], unique=False)

    op.create_table(
        "event_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("type_no", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("action_plan_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("type_no BETWEEN 0 AND 65535", name=op.f("ck_event_type_type_no_range")),
        sa.ForeignKeyConstraint(
            ["action_plan_id"],
            ["action_plan.id"],
            name=op.f("fk_event_type_action_plan_id_action_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_event_type_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_type")),
        sa.UniqueConstraint("client_id", "type_no", name=op.f("uq_event_type_client_id_type_no")),
    )
    op.create_table(
        "operator_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_operator_log_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_log")),
    )
    with op.batch_alter_table("operator_log", schema=None) as batch_op:
        batch_op.create_index("ix_operator_log_client_id_id", ["client_id", "id"], unique=False)

    op.create_table(
        "response_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_plan_id", sa.Integer(), nullable=False),
        sa.Column("response_plan_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("dealer_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(client_id IS NULL) <> (dealer_id IS NULL)",
            name=op.f("ck_response_override_client_xor_dealer"),
        ),
        sa.ForeignKeyConstraint(
            ["action_plan_id"],
            ["action_plan.id"],
            name=op.f("fk_response_override_action_plan_id_action_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_response_override_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealer.id"],
            name=op.f("fk_response_override_dealer_id_dealer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_plan_id"],
            ["response_plan.id"],
            name=op.f("fk_response_override_response_plan_id_response_plan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_override")),
        sa.UniqueConstraint(
            "action_plan_id",
            "client_id",
            name=op.f("uq_response_override_action_plan_id_client_id"),
        ),
        sa.UniqueConstraint(
            "action_plan_id",
            "dealer_id",
            name=op.f("uq_response_override_action_plan_id_dealer_id"),
        ),
    )
    op.create_table(
        "signal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("type_no", sa.Integer(), nullable=False),
        sa.Column("zone", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("action_plan_id", sa.Integer(), nullable=True),
        sa.Column(
            "source",
            sa.Enum("Auto", "Manual", "API", name="signalsource", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=True),
        sa.Column("execution_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "succeeded",
                "failed",
                "superseded",
                "unconfirmed",
                name="outcome",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_plan_id"],
            ["action_plan.id"],
            name=op.f("fk_signal_action_plan_id_action_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_signal_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["task_execution.id"],
            name=op.f("fk_signal_execution_id_task_execution"),
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal")),
        sa.UniqueConstraint("execution_id", "client_id", name=op.f("uq_signal_execution_id_client_id")),
    )
    with op.batch_alter_table("signal", schema=None) as batch_op:
        batch_op.create_index("ix_signal_client_id_id", ["client_id", "id"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_no", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("system_account_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.CheckConstraint("task_no > 0", name=op.f("ck_task_task_no_positive")),
        sa.ForeignKeyConstraint(
            ["system_account_id"], ["client.id"], name=op.f("fk_task_system_account_id_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
        sa.UniqueConstraint("task_no", name=op.f("uq_task_task_no")),
    )
    op.create_table(
        "zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("zone_no", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("action_plan_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("zone_no BETWEEN 0 AND 65535", name=op.f("ck_zone_zone_no_range")),
        sa.ForeignKeyConstraint(
            ["action_plan_id"], ["action_plan.id"], name=op.f("fk_zone_action_plan_id_action_plan")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_zone_client_id_client"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone")),
        sa.UniqueConstraint("client_id", "zone_no", name=op.f("uq_zone_client_id_zone_no")),
    )
    op.create_table(
        "task_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["response_plan_entry.id"],
            name=op.f("fk_task_assignment_entry_id_response_plan_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_task_assignment_task_id_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_assignment")),
    )
    op.create_table(
        "task_execution",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("signal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("target_key", sa.String(length=100), nullable=True),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "running",
                "succeeded",
                "failed",
                "superseded",
                "unconfirmed",
                name="executionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_token", sa.Integer(), nullable=False),
        sa.Column("lease_until", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
            name=op.f("fk_task_execution_client_id_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["signal.id"],
            name=op.f("fk_task_execution_signal_id_signal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_task_execution_task_id_task")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_task_execution_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_execution")),
    )
    with op.batch_alter_table("task_execution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_execution_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_task_execution_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_task_execution_target", ["target_key", "id"], unique=False)

    # signal.execution_id and task_execution.signal_id refer to each other: this one comes last.
    with op.batch_alter_table("signal") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_signal_execution_id_task_execution"),
            "task_execution",
            ["execution_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("signal") as batch_op:
        batch_op.drop_constraint(op.f("fk_signal_execution_id_task_execution"), type_="foreignkey")
    with op.batch_alter_table("task_execution", schema=None) as batch_op:
        batch_op.drop_index("ix_task_execution_target")
        batch_op.drop_index("ix_task_execution_due")
        batch_op.drop_index(batch_op.f("ix_task_execution_client_id"))

    op.drop_table("task_execution")
    op.drop_table("task_assignment")
    op.drop_table("zone")
    op.drop_table("task")
    with op.batch_alter_table("signal", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_client_id_id")

    op.drop_table("signal")
    op.drop_table("response_override")
    with op.batch_alter_table("operator_log", schema=None) as batch_op:
        batch_op.drop_index("ix_operator_log_client_id_id")

    op.drop_table("operator_log")
    op.drop_table("event_type")
    with op.batch_alter_table("addon_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addon_device_client_id"))

    op.drop_table("addon_device")
    op.drop_table("response_plan_entry")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index("ix_client_name")

    op.drop_table("client")
    op.drop_table("action_plan")
    op.drop_table("user")
    op.drop_table("system_setting")
    op.drop_table("response_plan")
    op.drop_table("dealer")
    op.drop_table("communicator_type")
