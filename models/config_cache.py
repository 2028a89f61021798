"""Per-process caches of what is read from the configuration, valid for one configuration generation.

Every signal resolves its event type, action plan, response plan and tasks, and every execution reads
its task and carrier account: the same few rows, thousands of times a minute, that change a few times a
day. A cache here answers from memory while the generation (models/config_generation.py) is the one it
was filled under; any committed configuration change anywhere gives a new generation, and the next
unit of work in every process reads afresh. Values must be plain immutable data, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from models import config_generation

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ConfigCache(Generic[K, V]):
    """A dictionary emptied whenever the database or its configuration generation changes."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._max_entries = max_entries
        # (database URL and generation, entries), replaced whole: threads see one pair or the other.
        self._state: tuple[tuple[str, int] | None, dict[K, V]] = (None, {})

    def get(self, session: Session, key: K, load: Callable[[], V]) -> V:
        """The cached value for ``key``, or ``load()``'s (cached when the generation allows it)."""
        token = config_generation.current(session)
        if token is None:
            return load()
        scope = (str(session.get_bind().engine.url), token)
        owner, entries = self._state
        if owner != scope:
            entries = {}
            self._state = (scope, entries)
        found = entries.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        value = load()
        if len(entries) >= self._max_entries:
            entries.clear()  # crude, but bounded: a full cache is refilled by the next signals
        entries[key] = value
        return value


_MISSING = object()
