"""Logging for every Commissioner process: one line per record, on stderr, as text or as JSON.

``COMMISSIONER_LOG_FORMAT`` picks the format: ``text`` for people, ``json`` (one JSON object per line)
for a log pipeline, ``auto`` (the default) text on a terminal and JSON otherwise.

While a task execution runs, every line names it: the runner wraps its work in ``log_context``, and
each line logged inside (by our code, SQLAlchemy, httpx, Celery) carries the execution id, client id
and ICCID::

    with log_context(execution_id=claim.execution_id, client_id=claim.client_id, iccid=iccid):
        ...

Only the fields named here are written, never a record's arguments or extras: secrets stay out of the
logs as long as no message quotes one (the carrier client and ``Account`` never do).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s%(context_text)s"
FORMATS = ("auto", "json", "text")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_context: ContextVar[Mapping[str, Any]] = ContextVar("commissioner_log_context", default=_EMPTY)


@contextmanager
def log_context(**fields: str | int | None) -> Iterator[None]:
    """Add ``fields`` (execution_id, client_id, iccid ...) to every line logged inside the block.

    Blocks nest (inner fields are added to outer ones); a field given as None is left out. The context
    belongs to the running thread or task, so concurrent tasks in a thread pool never mix theirs.
    """
    merged = {**_context.get(), **{name: value for name, value in fields.items() if value is not None}}
    token = _context.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> Mapping[str, Any]:
    """The fields ``log_context`` has set for this thread or task (empty outside any block)."""
    return _context.get()


class ContextFilter(logging.Filter):
    """Copies the current log context onto each record (as ``record.context``) when it is emitted."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = dict(_context.get())
        record.context = context
        text = " ".join(f"{name}={value}" for name, value in context.items())
        record.__dict__["context_text"] = f" [{text}]" if text else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, the log context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.processName,
        }
        entry.update(getattr(record, "context", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_formatter(log_format: str, stream: TextIO | None = None) -> logging.Formatter:
    """The formatter for ``log_format`` (auto: text when ``stream`` is a terminal, else JSON)."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    if log_format == "auto":
        target = stream if stream is not None else sys.stderr
        log_format = "text" if _is_terminal(target) else "json"
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(_TEXT_FORMAT)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream (pytest's capture)
        return False


def configure_logging(level: str, log_format: str | None = None) -> None:
    """Configure the root logger: one handler on stderr (added once; later calls change level and
    format). ``log_format`` defaults to the ``log_format`` setting."""
    if log_format is None:
        from config import get_config  # here: settings are read when logging is configured

        log_format = get_config().log_format
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_commissioner", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.addFilter(ContextFilter())
        handler._commissioner = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    stream = handler.stream if isinstance(handler, logging.StreamHandler) else None
    handler.setFormatter(make_formatter(log_format, stream))
    root.setLevel(level.upper())
    # httpx logs every request line at INFO; our own lines say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
