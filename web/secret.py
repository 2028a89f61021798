"""The key that signs session cookies.

In order: COMMISSIONER_WEB_SECRET; else derived from COMMISSIONER_ENCRYPTION_KEYS (so every web process
of a deployment signs alike without another setting); else, on the embedded default, a key file created
under the data directory with owner-only permissions, like the encryption key file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from config import get_config

_KEY_FILE = "web-secret.key"
_DERIVATION_LABEL = b"commissioner web session cookies v1"


def session_secret() -> str:
    """The secret for the session middleware."""
    config = get_config()
    if config.web_secret is not None and config.web_secret.get_secret_value().strip():
        return config.web_secret.get_secret_value().strip()
    if config.encryption_keys is not None and config.encryption_keys.get_secret_value().strip():
        # A one-way derivation: the cookie key does not reveal the key that encrypts API keys.
        newest = config.encryption_keys.get_secret_value().split(",")[0].strip().encode()
        return hmac.new(newest, _DERIVATION_LABEL, hashlib.sha256).hexdigest()
    return _key_file(config.data_dir)


def _key_file(data_dir: Path) -> str:
    path = data_dir / _KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: a second process never reads a half-written file.
        temporary = data_dir / f".{_KEY_FILE}.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another web process was first: use its key
        finally:
            temporary.unlink()
    return path.read_text().strip()
