"""Liveness for docker compose and load balancers: the app answers and the database does too."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from models.db import unit_of_work

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: str


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": HealthOut}})
def healthz() -> HealthOut | JSONResponse:
    """``ok`` when the database answers; 503 otherwise."""
    try:
        with unit_of_work() as session:
            session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "not healthy", not a crash
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return HealthOut(status="ok")
