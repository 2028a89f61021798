"""API keys at rest: rotation to a new Fernet key, and refusal when a key is missing."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from centre import communicator_types
from centre.errors import InvalidInput
from config import get_config, secrets
from models import CommunicatorType
from tests import factories


def _use_keys(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    monkeypatch.setenv("COMMISSIONER_ENCRYPTION_KEYS", ",".join(keys))
    get_config.cache_clear()
    secrets.reset_cache()


def test_rotation_moves_every_key_to_the_new_one(
    session: Session, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old = env["COMMISSIONER_ENCRYPTION_KEYS"]
    comm = factories.jasper_type(session)
    assert comm.api_key_encrypted.startswith("gAAAAA")
    assert factories.API_KEY not in comm.api_key_encrypted

    new = Fernet.generate_key().decode()
    _use_keys(monkeypatch, new, old)
    assert communicator_types.rotate_keys(session, "admin") == 1

    _use_keys(monkeypatch, new)  # the old key is gone
    stored = session.get(CommunicatorType, comm.id)
    assert stored is not None
    assert secrets.decrypt(stored.api_key_encrypted) == factories.API_KEY


def test_rotation_without_the_old_key_says_which_communicator_type(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.jasper_type(session, "Carrier A")
    _use_keys(monkeypatch, Fernet.generate_key().decode())
    with pytest.raises(InvalidInput, match="'Carrier A' cannot be decrypted"):
        communicator_types.rotate_keys(session, "admin")


def test_an_empty_key_setting_falls_back_to_the_key_file(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_keys(monkeypatch, "")
    token = secrets.encrypt("s3cret")
    assert secrets.decrypt(token) == "s3cret"
    assert (get_config().data_dir / "encryption.key").exists()
