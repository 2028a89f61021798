"""The embedded default's files (SQLite database, broker, key files) are the owner's alone.

SQLite creates a database file with the process umask's permissions (0644 usually), readable by every
user of the host; the database holds encrypted secrets and every client's history. Each file is made
owner-only before SQLite first opens it (its -wal and -shm files then take the same permissions), and a
file left readable by an earlier version is closed up.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def private_directory(path: Path) -> Path:
    """``path`` as a directory, made owner-only if it is made here."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """``path`` as an owner-only file (made empty if missing; its content untouched)."""
    private_directory(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path
