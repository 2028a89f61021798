"""Retry a failed task execution, as the History view's Retry button does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from models.db import unit_of_work
from services import executions
from web.api.common import errors
from web.api.schemas import ExecutionOut
from web.auth import ApiUser
from web.limits import MAX_BIG_ID

router = APIRouter(tags=["executions"])


@router.post(
    "/executions/{execution_id}/retry",
    status_code=201,
    response_model=ExecutionOut,
    responses=errors(404, 409),
)
def retry(execution_id: Annotated[int, Path(ge=1, le=MAX_BIG_ID)], user: ApiUser) -> ExecutionOut:
    """Retry a finished, unsuccessful execution as a new execution for the same target (returned)."""
    with unit_of_work() as session:
        new = executions.retry(session, execution_id, user.name)
        return ExecutionOut(
            id=new.id,
            status=new.status.value,
            client_id=new.client_id,
            signal_id=new.signal_id,
            attempts=new.attempts,
            last_error=new.last_error,
        )
