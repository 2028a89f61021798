"""The runs of ``bulk.apply`` the code under test publishes, captured instead of sent to a broker."""

from __future__ import annotations

import pytest

from features.bulk import celery_tasks as bulk_task

Runs = list[tuple[int, str]]  # (job id, operator) of each run published


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Runs:
    """Runs of ``bulk.apply`` published by the code under test, captured instead of sent."""
    sent: Runs = []

    def capture(job_id: int, operator: str) -> bool:
        sent.append((job_id, operator))
        return True

    monkeypatch.setattr(bulk_task, "publish", capture)
    return sent
