"""The one settings object: COMMISSIONER_* variables, and the embedded default when nothing is set."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from config import get_config
from config.environment import Config


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
    with pytest.raises(ValidationError, match=message):
        _settings(monkeypatch, **values)
