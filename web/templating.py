"""Jinja2 templates and the one helper every page renders with (user, CSRF token, flash messages)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.exc import SQLAlchemyError

import features
from centre import system_settings
from models.config_cache import ConfigCache
from models.db import reading
from web.auth import CSRF_FIELD, CSRF_HEADER, Principal, csrf_token

HERE = Path(__file__).resolve().parent
# The app's own templates, then each feature's (features/<name>/templates/).
_FEATURE_TEMPLATES = [Path(features.__file__).parent / name / "templates" for name in features.names()]
templates = Jinja2Templates(directory=[HERE / "templates", *(d for d in _FEATURE_TEMPLATES if d.is_dir())])
_FLASHES = "flashes"
# Wall-screen mode: dark, high contrast and large, for a screen across the room (web/pages/display.py).
DISPLAY_COOKIE = "display"
DISPLAY_MODES = ("normal", "wall")


_UTC = ZoneInfo("UTC")
_zones: ConfigCache[str, ZoneInfo] = ConfigCache()


def centre_zone() -> ZoneInfo:
    """The centre's time zone (a system setting), read once per configuration generation; UTC when the
    database cannot be asked (the page saying so must still be shown). A read-only transaction: pages
    are often rendered inside the request's unit of work."""
    try:
        with reading() as session:
            return _zones.get(session, "zone", lambda: system_settings.time_zone(session))
    except SQLAlchemyError:
        return _UTC


@pass_context
def _when(context: Context, moment: datetime | None) -> str:
    """A timestamp in the centre's time zone, to the second, the zone named (e.g. 14:05:07 CET)."""
    if moment is None:
        return ""
    zone: ZoneInfo = context.get("tz") or _UTC
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


templates.env.filters["when"] = _when
templates.env.globals.update(CSRF_FIELD=CSRF_FIELD, CSRF_HEADER=CSRF_HEADER)


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message shown once, on the next page (after a redirect)."""
    request.session.setdefault(_FLASHES, []).append([kind, message])


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the user, the CSRF token and pending flash messages."""
    full = {
        "user": user,
        "tz": centre_zone(),
        "display": _display(request),
        "csrf_token": csrf_token(request),
        "flashes": request.session.pop(_FLASHES, []),
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, full, status_code=status_code)


def _display(request: Request) -> str:
    mode = request.cookies.get(DISPLAY_COOKIE, "normal")
    return mode if mode in DISPLAY_MODES else "normal"


def render_fragment(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a piece of a page for htmx to swap in (flash messages stay for the next full page)."""
    full = {"user": user, "tz": centre_zone(), "csrf_token": csrf_token(request), **(context or {})}
    return templates.TemplateResponse(request, template, full, status_code=status_code)
