"""The JSON API under /api (Bearer API tokens; admin calls need an admin token), and /healthz."""

from __future__ import annotations

from fastapi import APIRouter

from web.api import admin, clients, executions, health, operations, signals, sims

router = APIRouter()
router.include_router(health.router)
for module in (signals, clients, sims, executions, operations, admin):
    router.include_router(module.router, prefix="/api")
