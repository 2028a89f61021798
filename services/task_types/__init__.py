"""The registry of task types, by the name stored in Task.type."""

from __future__ import annotations

from services.errors import InvalidInput
from services.task_types.base import Target, TaskType
from services.task_types.jasper import JasperTaskType
from services.task_types.jasper_console import JasperConsoleTaskType

TASK_TYPES: dict[str, TaskType] = {t.name: t for t in (JasperTaskType(), JasperConsoleTaskType())}


def get(name: str) -> TaskType:
    """The task type called ``name``; raises InvalidInput for an unknown one."""
    try:
        return TASK_TYPES[name]
    except KeyError:
        raise InvalidInput(
            f"unknown task type {name!r}; known types: {', '.join(sorted(TASK_TYPES))}"
        ) from None


__all__ = ["TASK_TYPES", "Target", "TaskType", "get"]
