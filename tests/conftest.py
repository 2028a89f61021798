"""Shared fixtures: an isolated data directory, settings and database per test.

Databases are migrated once per session into a template (a SQLite file, a PostgreSQL template database)
and copied for each test, so no test sees another's rows. PostgreSQL and Redis are required: a test
that needs them fails when they are down, it never skips.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from hypothesis import settings
from sqlalchemy.orm import Session

import migrations
from config import get_config, secrets
from models import db as models_db
from models.db import unit_of_work
from pipeline import outbox

# Fixtures of the web app (accounts, browsers, snapshots), the integration stack (real worker, simulator
# and broker), the browser tests, and captured bulk runs: shared by the tests of every package and
# feature, so they are plugins rather than conftest files of one folder.
# Property tests run the same examples every time: a failure in CI is a finding to reproduce, not a coin
# toss (a test's own settings still choose how many examples).
settings.register_profile("commissioner", derandomize=True, database=None, deadline=None)
settings.load_profile("commissioner")

pytest_plugins = [
    "tests.web.fixtures",
    "tests.integration.fixtures",
    "tests.integration.web.fixtures",
    "tests.features.bulk.runs",
    "tests.features.sim_console.carrier",
]

# For tests that read the configuration without the ``env`` fixture (their carriers are simulators here).
os.environ.setdefault("COMMISSIONER_ALLOW_INSECURE_CARRIERS", "true")

PG_ADMIN_DSN = os.environ.get("COMMISSIONER_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("COMMISSIONER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("COMMISSIONER_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
# The brokers the integration tests run on: the embedded one with SQLite; Redis and RabbitMQ with
# PostgreSQL (browser tests: Redis only; the broker changes nothing in a page).
STACKS = [("sqlite", "sqla"), ("postgresql", "redis"), ("postgresql", "amqp")]


DATABASES = ["sqlite", "postgresql"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test of the ``database`` fixture runs on each database (unless it names its own), and every
    integration test of the ``broker`` fixture on each stack."""
    if "database" not in metafunc.fixturenames or _names_its_database(metafunc):
        return
    if "broker" in metafunc.fixturenames and "integration/web" not in str(metafunc.definition.path):
        ids = ["-".join(stack) for stack in STACKS]
        metafunc.parametrize(("database", "broker"), STACKS, indirect=True, ids=ids)
    else:
        metafunc.parametrize("database", DATABASES, indirect=True)


def _names_its_database(metafunc: pytest.Metafunc) -> bool:
    marks = metafunc.definition.iter_markers("parametrize")
    return any("database" in str(mark.args[0]) for mark in marks)


# One template per test session: two sessions on one server must not drop each other's.
PG_TEMPLATE = f"commissioner_test_template_{os.getpid()}"
TEST_KEY = Fernet.generate_key().decode()
TEST_WEB_SECRET = Fernet.generate_key().decode()


def _pg_url(database: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{database}"


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    models_db._engines.pop(f"sqlite:///{path}", None)
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {PG_TEMPLATE}")
    url = _pg_url(PG_TEMPLATE)
    migrations.upgrade(url)
    models_db.get_engine(url).dispose()
    models_db._engines.pop(url, None)
    yield PG_TEMPLATE
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """COMMISSIONER_* variables of this test (also handed to child processes)."""
    values = {
        "COMMISSIONER_DATA_DIR": str(tmp_path / "data"),
        "COMMISSIONER_ENCRYPTION_KEYS": TEST_KEY,
        "COMMISSIONER_WEB_SECRET": TEST_WEB_SECRET,
        "COMMISSIONER_CONFIRM_INTERVAL_S": "0.05",
        "COMMISSIONER_RETRY_BASE_DELAY_S": "0.2",
        "COMMISSIONER_RETRY_MAX_DELAY_S": "2",
        "COMMISSIONER_RELAY_INTERVAL_S": "1",
        "COMMISSIONER_RELAY_REPUBLISH_AFTER_S": "3",
        "COMMISSIONER_LOG_LEVEL": "INFO",
        # The tests' carriers are simulators on this machine (tests of the rule turn it off).
        "COMMISSIONER_ALLOW_INSECURE_CARRIERS": "true",
    }
    for name in list(os.environ):
        if name.startswith("COMMISSIONER_") and name not in values:
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    _reset_caches()
    yield values
    _reset_caches()


def _reset_caches() -> None:
    get_config.cache_clear()
    secrets.reset_cache()
    for engine in models_db._engines.values():
        engine.dispose()
    models_db._engines.clear()


def _use(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    env[name] = value
    monkeypatch.setenv(name, value)
    _reset_caches()


@pytest.fixture
def database(
    request: pytest.FixtureRequest,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[str]:
    """A fresh, migrated database of each kind, configured as COMMISSIONER_DATABASE_URL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "commissioner.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
        _use(env, monkeypatch, "COMMISSIONER_DATABASE_URL", url)
        yield url
        return
    yield from _postgres(request, env, monkeypatch)


def _postgres(
    request: pytest.FixtureRequest, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    pg_template_name: str = request.getfixturevalue("pg_template")
    name = f"commissioner_test_{uuid.uuid4().hex[:12]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {pg_template_name}")
    url = _pg_url(name)
    _use(env, monkeypatch, "COMMISSIONER_DATABASE_URL", url)
    try:
        yield url
    finally:
        _reset_caches()
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def postgres_database(
    request: pytest.FixtureRequest, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database only, for what only PostgreSQL does."""
    yield from _postgres(request, env, monkeypatch)


@pytest.fixture
def sqlite_database(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_template: Path
) -> str:
    """A fresh SQLite database only, for units that do not depend on the backend."""
    path = tmp_path / "commissioner.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    _use(env, monkeypatch, "COMMISSIONER_DATABASE_URL", url)
    return url


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[outbox.Message]:
    """Messages the code under test publishes, captured instead of sent to a broker."""
    sent: list[outbox.Message] = []

    def capture(messages: list[outbox.Message]) -> int:
        sent.extend(messages)
        return len(messages)

    monkeypatch.setattr(outbox, "publish", capture)
    return sent


@pytest.fixture
def session(database: str, published: list[outbox.Message]) -> Iterator[Session]:
    """A unit of work on a fresh database (both backends), committed at the end of the test."""
    with unit_of_work() as s:
        yield s
