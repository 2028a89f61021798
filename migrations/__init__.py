"""Alembic migrations, and the helpers that run them from code (CLI, tests, the demo)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from config import get_config

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config for ``database_url`` (default: the configured database)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", database_url or get_config().effective_database_url)
    return cfg


def upgrade(database_url: str | None = None) -> None:
    """Bring the database schema to the newest migration."""
    command.upgrade(alembic_config(database_url), "head")


def check(database_url: str | None = None) -> None:
    """Fail if the models and the newest migration disagree."""
    command.check(alembic_config(database_url))
