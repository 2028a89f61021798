"""Logging for every Commissioner process: one line per record, on stderr."""

from __future__ import annotations

import logging

_FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Configure the root logger once (later calls only change the level)."""
    root = logging.getLogger()
    if not any(getattr(h, "_commissioner", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._commissioner = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs every request line at INFO; our own lines say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
