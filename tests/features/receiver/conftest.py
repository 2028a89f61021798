from __future__ import annotations

from collections.abc import Iterator

import pytest

from features.receiver import mapping


@pytest.fixture(autouse=True)
def fresh_event_map() -> Iterator[None]:
    """Each test reads its own database's event map (the receiver holds it in memory a moment)."""
    mapping.forget_cache()
    yield
    mapping.forget_cache()
