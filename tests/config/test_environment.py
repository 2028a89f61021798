"""The one settings object: COMMISSIONER_* variables, and the embedded default when nothing is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import get_config
from config.environment import EXAMPLE_ENCRYPTION_KEY, EXAMPLE_WEB_SECRET, Config, ConfigurationError


def _settings(monkeypatch: pytest.MonkeyPatch, **values: str) -> Config:
    for name, value in values.items():
        monkeypatch.setenv(f"COMMISSIONER_{name.upper()}", value)
    get_config.cache_clear()
    return get_config()


def test_nothing_set_means_sqlite_and_an_embedded_broker_under_the_data_dir(env: dict[str, str]) -> None:
    settings = get_config()
    data_dir = Path(env["COMMISSIONER_DATA_DIR"])

    assert settings.effective_database_url == f"sqlite:///{data_dir / 'commissioner.db'}"
    assert settings.effective_broker_url == f"sqla+sqlite:///{data_dir / 'broker.db'}"
    assert settings.embedded


def test_the_two_urls_select_postgresql_and_redis(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(
        monkeypatch,
        database_url="postgresql+psycopg://db/commissioner",
        broker_url="redis://cache:6379/0",
    )

    assert settings.effective_database_url == "postgresql+psycopg://db/commissioner"
    assert settings.effective_broker_url == "redis://cache:6379/0"
    assert not settings.embedded


def test_the_encryption_keys_are_kept_secret(env: dict[str, str]) -> None:
    settings = get_config()

    assert env["COMMISSIONER_ENCRYPTION_KEYS"] not in repr(settings)
    assert settings.encryption_keys is not None
    assert settings.encryption_keys.get_secret_value() == env["COMMISSIONER_ENCRYPTION_KEYS"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"max_countdown_s": "600", "visibility_timeout_s": "900"}, "max_countdown_s must be at most half"),
        ({"lease_s": "900", "visibility_timeout_s": "900"}, "lease_s must be shorter"),
        ({"retry_max_attempts": "0"}, "retry_max_attempts"),
        ({"carrier_timeout_s": "0"}, "carrier_timeout_s"),
    ],
)
def test_settings_that_would_break_delivery_are_refused(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, values: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"(?i){message}"):
        _settings(monkeypatch, **values)


PG = "postgresql+psycopg://db/commissioner"


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (
            "COMMISSIONER_ENCRYPTION_KEYS",
            "COMMISSIONER_ENCRYPTION_KEYS (or COMMISSIONER_ENCRYPTION_KEYS_FILE)",
        ),
        ("COMMISSIONER_WEB_SECRET", "COMMISSIONER_WEB_SECRET (or COMMISSIONER_WEB_SECRET_FILE)"),
    ],
)
def test_outside_the_embedded_default_the_shared_keys_are_required(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, missing: str, named: str
) -> None:
    """Before, each host invented its own key file: a worker on another host could not decrypt any
    API key, and sessions broke across web replicas."""
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigurationError) as refused:
        _settings(monkeypatch, database_url=PG)
    message = str(refused.value)
    assert named in message
    assert "\n" not in message
    assert env["COMMISSIONER_ENCRYPTION_KEYS"] not in message
    assert not Path(env["COMMISSIONER_DATA_DIR"], "encryption.key").exists()


def test_the_example_keys_are_refused_everywhere(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, `cp .env.example .env` installed a public key that nothing refused."""
    with pytest.raises(ConfigurationError, match="COMMISSIONER_ENCRYPTION_KEYS is the public example key"):
        _settings(
            monkeypatch, encryption_keys=f"{env['COMMISSIONER_ENCRYPTION_KEYS']},{EXAMPLE_ENCRYPTION_KEY}"
        )
    monkeypatch.setenv("COMMISSIONER_ENCRYPTION_KEYS", env["COMMISSIONER_ENCRYPTION_KEYS"])
    with pytest.raises(ConfigurationError, match="COMMISSIONER_WEB_SECRET is the public example"):
        _settings(monkeypatch, web_secret=EXAMPLE_WEB_SECRET)
    with pytest.raises(ConfigurationError, match="not a Fernet key"):
        _settings(monkeypatch, encryption_keys="not-a-key")


def test_secrets_can_come_from_files(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key, secret = tmp_path / "keys", tmp_path / "web"
    key.write_text(env["COMMISSIONER_ENCRYPTION_KEYS"] + "\n")
    secret.write_text("a-web-secret-of-forty-characters-or-so-1234\n")
    monkeypatch.delenv("COMMISSIONER_ENCRYPTION_KEYS")
    monkeypatch.delenv("COMMISSIONER_WEB_SECRET")
    monkeypatch.setenv("COMMISSIONER_ENCRYPTION_KEYS_FILE", str(key))
    monkeypatch.setenv("COMMISSIONER_WEB_SECRET_FILE", str(secret))
    config = _settings(monkeypatch, database_url=PG)
    assert config.encryption_keys is not None
    assert config.encryption_keys.get_secret_value() == env["COMMISSIONER_ENCRYPTION_KEYS"]
    assert config.web_secret is not None
    assert config.web_secret.get_secret_value() == "a-web-secret-of-forty-characters-or-so-1234"
    monkeypatch.setenv("COMMISSIONER_WEB_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="COMMISSIONER_WEB_SECRET_FILE: cannot read"):
        _settings(monkeypatch)


@pytest.mark.integration
@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "cli", "settings", "show"],
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool", "solo"],
        [sys.executable, "-m", "celery", "-A", "worker", "beat"],
    ],
    ids=["cli", "worker", "beat"],
)
def test_every_process_refuses_to_start_without_the_shared_keys(
    env: dict[str, str], command: list[str]
) -> None:
    environ = {
        **os.environ,
        **env,
        "COMMISSIONER_DATABASE_URL": PG,
        "COMMISSIONER_BROKER_URL": "redis://x:1/0",
    }
    del environ["COMMISSIONER_ENCRYPTION_KEYS"]
    ran = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode != 0
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert any("COMMISSIONER_ENCRYPTION_KEYS" in line for line in lines), ran.stderr
    assert "Traceback" not in ran.stderr


def test_the_database_pool_size_is_a_setting(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, every process could open 30 connections, hard-coded: many hosts exhausted PostgreSQL."""
    from models.db import make_engine

    _settings(monkeypatch, db_pool_size="3", db_max_overflow="1")
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 1)  # type: ignore[attr-defined]
    engine.dispose()
