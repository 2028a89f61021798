"""The server-rendered pages: every unsafe request carries the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from web.auth import check_csrf
from web.pages import admin, auth, bulk, clients, drift, sims

PAGE_MODULES = (auth, clients, sims, admin, drift, bulk)

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
for module in PAGE_MODULES:
    router.include_router(module.router)
