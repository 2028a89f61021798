"""The attention page: the operator's start page. Everything that needs a person, across all clients,
refreshing by itself, with Retry and "reconcile now" where they apply; and the count in the nav bar."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from features.attention import service
from models.db import unit_of_work
from pipeline import history
from web.auth import PageUser
from web.charts import Series, bars
from web.templating import centre_zone, render, render_fragment

router = APIRouter()

Kind = Annotated[str, Query(pattern="^(|" + "|".join(service.KINDS) + ")$")]
Text = Annotated[str, Query(max_length=100)]


@router.get("/")
def home() -> Response:
    return RedirectResponse("/attention", status_code=303)


@router.get("/attention")
def attention_page(request: Request, user: PageUser, kind: Kind = "", q: Text = "") -> Response:
    context = _list_context(kind, q) | {"nav": "attention", "chart": _outcomes_chart()}
    return render(request, "attention.html", context, user=user)


@router.get("/attention/items")
def attention_items(request: Request, user: PageUser, kind: Kind = "", q: Text = "") -> Response:
    """The list alone, for htmx to swap in every few seconds."""
    return render_fragment(request, "_attention_items.html", _list_context(kind, q), user=user)


@router.get("/attention/count")
def attention_count(user: PageUser) -> Response:
    """The navigation bar's count of what needs a person."""
    with unit_of_work() as session:
        found = service.count(session)
    label = f"{found} item{'' if found == 1 else 's'} need attention"
    badge = f'<span class="nav-count" aria-label="{label}">{found}</span>' if found else ""
    return HTMLResponse(badge)


def _list_context(kind: str, text: str) -> dict[str, Any]:
    with unit_of_work() as session:
        found = service.items(session, kind=kind or None, text=text)
        states = history.execution_states(session, [i.execution_id for i in found if i.execution_id])
    return {"items": found, "states": states, "kind": kind, "q": text, "kinds": service.KINDS}


def _outcomes_chart() -> Any:
    with unit_of_work() as session:
        hours = service.outcomes_per_hour(session)
    zone = centre_zone()
    labels = [hour.start.astimezone(zone).strftime("%H:00") for hour in hours]
    return bars(
        "Task outcomes per hour, last 24 hours",
        labels,
        [
            Series("succeeded", "chart-ok", [h.succeeded for h in hours]),
            Series("accepted, not yet confirmed", "chart-warn", [h.unconfirmed for h in hours]),
            Series("failed", "chart-bad", [h.failed for h in hours]),
        ],
        every=3,
    )
