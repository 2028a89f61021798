"""The embedded default's files are the owner's alone. Before, its SQLite database (every client's
history and the encrypted API keys) and the broker's were created readable by every user (0644)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from models.db import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_file_is_made_owner_only_and_closed_up_if_it_was_not(tmp_path: Path) -> None:
    made = tmp_path / "data" / "commissioner.db"
    make_engine(f"sqlite:///{made}").dispose()
    assert _mode(made) == 0o600
    assert _mode(made.parent) == 0o700
    old = tmp_path / "old.db"
    old.write_bytes(b"")
    old.chmod(0o644)
    make_engine(f"sqlite:///{old}").dispose()
    assert _mode(old) == 0o600


def test_a_command_on_the_embedded_default_leaves_no_file_others_can_read(
    env: dict[str, str], tmp_path: Path
) -> None:
    data = Path(env["COMMISSIONER_DATA_DIR"])
    environ = {**env, "PATH": "/usr/bin:/bin", "COMMISSIONER_DATA_DIR": str(data)}
    environ.pop("COMMISSIONER_ENCRYPTION_KEYS")  # the key file is made, owner-only
    subprocess.run(
        [sys.executable, "-m", "cli", "db", "upgrade"], env=environ, check=True, capture_output=True
    )
    subprocess.run([sys.executable, "-m", "cli", "seed"], env=environ, check=True, capture_output=True)
    files = [path for path in data.rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {"commissioner.db", "broker.db"}
    assert {path.name: _mode(path) & 0o077 for path in files} == {path.name: 0 for path in files}
