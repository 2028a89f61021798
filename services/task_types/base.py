"""What a task type plugs into the pipeline with.

Adding a task type (another carrier, an e-mail task ...) means adding a module with a TaskType and its
Celery task, and listing it in services/task_types/__init__.py; the pipeline does not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from models import Client


@dataclass(frozen=True)
class Target:
    """One thing an execution acts on.

    ``key`` names it for ordering (executions with the same key run one at a time and a newer one
    supersedes an older one); ``data`` is what the worker needs, as JSON; ``error`` says why it cannot
    be acted on at all (the execution then fails with that message instead of calling anyone).
    """

    key: str | None
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class TaskType(Protocol):
    name: str  # stored in Task.type
    celery_task: str  # the stable Celery task name that runs its executions
    queue: str

    def validate_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The options in canonical form; raises InvalidInput naming what is wrong."""
        ...

    def expand(self, session: Session, client: Client, options: Mapping[str, Any]) -> list[Target]:
        """The targets one firing of this task for ``client`` acts on (at least one)."""
        ...

    def describe(self, options: Mapping[str, Any], target: Mapping[str, Any]) -> str:
        """A short human label of one execution, for history and logs."""
        ...

    def authorize(self, options: Mapping[str, Any], *, admin: bool, confirmed: bool) -> None:
        """Whether a person may ask for an execution with ``options``: raises NotPermitted when only an
        admin may, InvalidInput when it must be confirmed first. Checked on the first request and on
        every retry alike."""
        ...

    def status_to_check(self, options: Mapping[str, Any]) -> str | None:
        """A carrier status the request moves its target to, whose rules are checked against the
        target read live before the request is sent, first time and retry alike; None for none."""
        ...
