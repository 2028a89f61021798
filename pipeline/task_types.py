"""Task types: what a task does to which targets, and the registry that finds them by name.

A task type is one module of a feature (``features/commissioning/task_type.py`` ...) with a class that
follows ``TaskType``, and its Celery task in the feature's ``celery_tasks.py``. It is registered by one
line under ``[project.entry-points."commissioner.task_types"]`` in pyproject.toml: the pipeline finds it
there without importing the features (a lower layer never imports a higher one), and does not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Protocol

from sqlalchemy.orm import Session

from centre.errors import InvalidInput
from models import Client

ENTRY_POINTS = "commissioner.task_types"


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


@cache
def _registry() -> dict[str, TaskType]:
    found: dict[str, TaskType] = {}
    for entry in entry_points(group=ENTRY_POINTS):
        task_type: TaskType = entry.load()()
        if task_type.name != entry.name:
            raise RuntimeError(
                f"task type entry point {entry.name!r} loads a task type named {task_type.name!r}"
            )
        found[entry.name] = task_type
    if not found:
        # Nothing runs without them, and the relay would fail every execution as "not installed".
        raise RuntimeError(
            f"no task types are registered ({ENTRY_POINTS} entry points): "
            "install Commissioner (pip install -e .)"
        )
    return found


def find(name: str) -> TaskType | None:
    """The task type called ``name``, or None when none is installed under that name."""
    return _registry().get(name)


def get(name: str) -> TaskType:
    """The task type called ``name``; raises InvalidInput for an unknown one."""
    found = find(name)
    if found is None:
        raise InvalidInput(f"unknown task type {name!r}; known types: {', '.join(names())}")
    return found


def names() -> list[str]:
    """The names of every installed task type, sorted."""
    return sorted(_registry())
