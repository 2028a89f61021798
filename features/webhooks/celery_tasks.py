"""``webhook.post``: one webhook execution, through the pipeline's runner (lease, retries, outcome)."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.orm import Session

from config import secrets
from features.webhooks import delivery, endpoints
from features.webhooks.delivery import Delivery
from models import Client, ExecutionStatus, Signal, TaskExecution
from pipeline.executions import Claim
from pipeline.runner import Report, TargetError, TaskLevelError, run


class WebhookPerformer:
    """Reads the signal and the endpoint in the claim's transaction; POSTs with none open."""

    def prepare(self, session: Session, claim: Claim) -> Delivery:
        execution = session.get(TaskExecution, claim.execution_id)
        assert execution is not None  # just claimed
        signal = session.get(Signal, execution.signal_id)
        client = session.get(Client, claim.client_id)
        assert signal is not None
        assert client is not None
        name = claim.options["endpoint"]
        found = session.get(endpoints.WebhookEndpoint, name)
        if found is None:
            raise TargetError(f"no webhook endpoint named {name!r}")
        try:
            secret = secrets.decrypt(found.secret_encrypted)
        except secrets.SecretUnreadable:
            raise TaskLevelError(
                f"the secret of webhook endpoint {name} cannot be decrypted: set it again"
            ) from None
        return Delivery(claim.execution_id, name, found.url, secret, delivery.body(signal, client))

    def perform(self, prepared: Delivery) -> Report:
        status = delivery.post(prepared)
        return Report(ExecutionStatus.SUCCEEDED, f"delivered to {prepared.endpoint}: HTTP {status}")


@shared_task(name="webhook.post", ignore_result=True)
def post(execution_id: int) -> None:
    """Deliver one signal to one webhook endpoint."""
    run(execution_id, WebhookPerformer())
