"""names that say one thing: communicator kind "jasper" is "jasper-rest"; task type "jasper_console" is
"sim_console" (its Celery task is now "sim_console.request")

The Jasper task keeps its name ("jasper", Patriot's). Only stored names change; a configuration
generation token is written so every process drops its caches.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:30:00.000000
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rename(old_kind: str, new_kind: str, old_type: str, new_type: str) -> None:
    names = {"old_kind": old_kind, "new_kind": new_kind, "old_type": old_type, "new_type": new_type}
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE communicator_type SET kind = :new_kind WHERE kind = :old_kind"), names)
    bind.execute(sa.text("UPDATE task SET type = :new_type WHERE type = :old_type"), names)
    bind.execute(sa.text("UPDATE config_generation SET value = :value"), {"value": secrets.randbits(62)})


def upgrade() -> None:
    _rename("jasper", "jasper-rest", "jasper_console", "sim_console")


def downgrade() -> None:
    _rename("jasper-rest", "jasper", "sim_console", "jasper_console")
