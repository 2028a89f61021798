"""API keys at rest: encrypted under the configured keys, rotatable, never readable without a key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from config import get_config, secrets


def _configure(monkeypatch: pytest.MonkeyPatch, keys: str | None) -> None:
    if keys is None:
        monkeypatch.delenv("COMMISSIONER_ENCRYPTION_KEYS", raising=False)
    else:
        monkeypatch.setenv("COMMISSIONER_ENCRYPTION_KEYS", keys)
    get_config.cache_clear()
    secrets.reset_cache()


def test_a_secret_round_trips_and_is_not_stored_in_clear(env: dict[str, str]) -> None:
    first, second = secrets.encrypt("api-key-1"), secrets.encrypt("api-key-1")

    assert "api-key-1" not in first
    assert first != second  # a fresh IV each time: equal keys do not show as equal tokens
    assert secrets.decrypt(first) == secrets.decrypt(second) == "api-key-1"


def test_a_token_under_an_unknown_key_is_unreadable(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = secrets.encrypt("api-key-1")
    _configure(monkeypatch, Fernet.generate_key().decode())

    with pytest.raises(secrets.SecretUnreadable, match="cannot be decrypted") as caught:
        secrets.decrypt(token)

    assert token not in str(caught.value)


def test_rotation_keeps_old_tokens_readable_and_moves_them_to_the_new_key(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key, new_key = env["COMMISSIONER_ENCRYPTION_KEYS"], Fernet.generate_key().decode()
    old_token = secrets.encrypt("api-key-1")
    _configure(monkeypatch, f"{new_key}, {old_key}")

    assert secrets.decrypt(old_token) == "api-key-1"
    rotated = secrets.rotate(old_token)

    _configure(monkeypatch, new_key)
    assert secrets.decrypt(rotated) == "api-key-1"
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(old_token)


def test_without_configured_keys_a_private_key_file_is_made_and_reused(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _configure(monkeypatch, None)
    token = secrets.encrypt("api-key-1")
    key_file = Path(env["COMMISSIONER_DATA_DIR"]) / "encryption.key"

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secrets.reset_cache()  # a new process reads the same file
    assert secrets.decrypt(token) == "api-key-1"
    assert b"api-key-1" not in key_file.read_bytes()
