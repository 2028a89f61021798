"""Probes for orchestrators and load balancers, kept apart:

- ``/healthz`` (liveness): the process answers. Nothing else is asked, so a database outage does not make
  an orchestrator restart every web process (which would not bring the database back).
- ``/readyz`` (readiness): the database answers, so this process can serve requests; 503 otherwise, and a
  load balancer sends requests elsewhere meanwhile.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from models.db import unit_of_work

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: str


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
    """``ok`` while the process answers (liveness)."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=HealthOut, responses={503: {"model": HealthOut}})
def readyz() -> HealthOut | JSONResponse:
    """``ok`` when the database answers; 503 otherwise (readiness)."""
    try:
        with unit_of_work() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not ready", not a crash
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return HealthOut(status="ok")
