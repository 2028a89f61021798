"""Retry a failed task execution, as the History view's Retry button does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from features.sim_console import service as sim_console
from models import TaskExecution
from models.db import unit_of_work
from web.api.common import errors
from web.api.schemas import ErrorOut, ExecutionOut
from web.auth import ApiUser
from web.limits import MAX_BIG_ID

router = APIRouter(tags=["executions"])


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: bool = Field(
        False, description="Must be true to retry retiring a SIM: it ends the SIM's life at the carrier"
    )


_RULES: dict[int | str, dict[str, Any]] = {
    403: {
        "model": ErrorOut,
        "description": "The request retried is for admins (retiring a SIM, a rate plan)",
    },
    502: {"model": ErrorOut, "description": "The carrier refused the read that checks its rules"},
    503: {"model": ErrorOut, "description": "The carrier could not be asked to check its rules"},
}


@router.post(
    "/executions/{execution_id}/retry",
    status_code=201,
    response_model=ExecutionOut,
    responses={**errors(400, 404, 409), **_RULES},
)
def retry(
    execution_id: Annotated[int, Path(ge=1, le=MAX_BIG_ID)], user: ApiUser, body: RetryIn | None = None
) -> ExecutionOut:
    """Retry a finished, unsuccessful execution as a new execution for the same target (returned).

    Checked as the first request was: a SIM console request for admins (retiring a SIM, changing its
    rate plan) needs an admin token (403), retiring needs ``"confirm": true``, and a status change is
    checked against the SIM's status read live (409 if the carrier would refuse it now).
    """
    try:
        retried = sim_console.retry(
            execution_id, user.name, admin=user.is_admin, confirmed=body is not None and body.confirm
        )
    except sim_console.CarrierProblem as problem:
        raise HTTPException(problem.status, problem.message) from None
    with unit_of_work() as session:
        new = session.get(TaskExecution, retried.execution_id)
        assert new is not None  # committed by the retry
        return ExecutionOut(
            id=new.id,
            status=new.status.value,
            client_id=new.client_id,
            signal_id=new.signal_id,
            attempts=new.attempts,
            last_error=new.last_error,
        )
