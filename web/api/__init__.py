"""The JSON API under /api (Bearer API tokens; admin calls need an admin token), and /healthz.

The app's own calls are here; each feature's ``api.py`` adds its own (found by folder)."""

from __future__ import annotations

from fastapi import APIRouter

import features
from web.api import admin, clients, executions, health, signals

router = APIRouter()
router.include_router(health.router)
for module in (signals, clients, *features.modules("api"), executions, admin):
    router.include_router(module.router, prefix="/api")
