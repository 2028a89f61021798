"""The key that signs session cookies: COMMISSIONER_WEB_SECRET, which every web process of a deployment
shares (config/environment.py refuses to start without it outside the embedded default); on the embedded
default without it, a key file created under the data directory with owner-only permissions.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from config import get_config
from config.files import private_directory

_KEY_FILE = "web-secret.key"


def session_secret() -> str:
    """The secret for the session middleware."""
    config = get_config()
    if config.web_secret is not None:
        return config.web_secret.get_secret_value().strip()
    return _key_file(config.data_dir)


def _key_file(data_dir: Path) -> str:
    path = data_dir / _KEY_FILE
    if not path.exists():
        private_directory(data_dir)
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
