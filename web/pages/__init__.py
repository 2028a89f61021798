"""The server-rendered pages: every unsafe request carries the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from web.auth import check_csrf
from web.pages import admin, auth, clients

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
router.include_router(auth.router)
router.include_router(clients.router)
router.include_router(admin.router)
