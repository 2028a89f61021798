"""The server-rendered pages: every unsafe request carries the session's CSRF token.

The app's own pages are here; each feature's ``pages.py`` adds its own (found by folder)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

import features
from web.auth import check_csrf
from web.pages import admin, auth, clients, display

PAGE_MODULES = (auth, display, clients, admin, *features.modules("pages"))

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
for module in PAGE_MODULES:
    router.include_router(module.router)
