"""The ``webhook`` task type: POST the signal that fired it to a named endpoint (option ``endpoint``).

Each firing is one execution with no ordering key: a newer signal never supersedes an older one's
delivery (every signal is delivered, at least once); receivers order them by the signal's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from centre.errors import InvalidInput
from features.webhooks import endpoints
from models import Client
from pipeline.task_types import Target

NAME = endpoints.TASK_TYPE


class WebhookTaskType:
    name = NAME
    celery_task = "webhook.post"
    queue = "commissioner"

    def validate_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        raw = options.get("endpoint", options.get("Endpoint"))
        if not isinstance(raw, str) or not raw.strip():
            raise InvalidInput("webhook task option endpoint (the name of a webhook endpoint) is required")
        return {"endpoint": endpoints.name(raw)}

    def expand(self, session: Session, client: Client, options: Mapping[str, Any]) -> list[Target]:
        return [Target(None, {"endpoint": options["endpoint"]})]

    def describe(self, options: Mapping[str, Any], target: Mapping[str, Any]) -> str:
        return f"Webhook to {options.get('endpoint', '?')}"

    def authorize(self, options: Mapping[str, Any], *, admin: bool, confirmed: bool) -> None:
        """Delivering a signal again is every operator's to ask for."""

    def status_to_check(self, options: Mapping[str, Any]) -> str | None:
        return None
