"""API keys at rest: Fernet tokens under keys from the settings, with rotation (MultiFernet).

On the embedded default, with no key configured, a key file is created in the data directory with
owner-only permissions, so a demo needs no setup and the database alone never reveals a key.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from config import get_config
from config.files import private_directory

_KEY_FILE = "encryption.key"


def _key_file(data_dir: Path) -> bytes:
    path = data_dir / _KEY_FILE
    if not path.exists():
        private_directory(data_dir)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    config = get_config()
    if config.encryption_keys is not None:
        keys = [k.strip().encode() for k in config.encryption_keys.get_secret_value().split(",")]
    else:
        keys = [_key_file(config.data_dir)]
    return MultiFernet([Fernet(key) for key in keys if key])


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted with any configured key."""


def encrypt(secret: str) -> str:
    """A Fernet token for ``secret`` under the newest key."""
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    """The secret behind ``token``; raises SecretUnreadable if no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "a stored API key cannot be decrypted with the configured encryption keys"
        ) from None


def rotate(token: str) -> str:
    """``token`` re-encrypted under the newest key (after adding a key in front of the old ones)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("a stored API key cannot be decrypted with the configured keys") from None


def reset_cache() -> None:
    """Forget the keys read so far (tests change settings between cases)."""
    _fernet.cache_clear()
