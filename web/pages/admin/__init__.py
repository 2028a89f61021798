"""Admins' configuration pages, all under /admin; an operator gets 403 on every one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from centre.seed import seed
from models.db import unit_of_work
from web.auth import PageAdmin, page_admin
from web.pages.admin import (
    accounts,
    communicator_types,
    event_types,
    overrides,
    plans,
    settings,
    tasks,
    users,
)
from web.templating import flash, render

router = APIRouter(prefix="/admin", dependencies=[Depends(page_admin)])

SECTIONS = [
    (
        "/admin/communicator-types",
        "Communicator types",
        "Carrier accounts: server address, user name, API key.",
    ),
    ("/admin/tasks", "Tasks", "Background tasks (Jasper) and the account their errors are logged on."),
    ("/admin/templates", "Templates and event types", "Template accounts and what each type number means."),
    ("/admin/action-plans", "Action plans", "How a signal is handled, and its default response plan."),
    ("/admin/response-plans", "Response plans", "Users to respond, with their task assignments and options."),
    (
        "/admin/overrides",
        "Response overrides and dealers",
        "Another response plan for a client, template or dealer.",
    ),
    (
        "/admin/webhooks",
        "Webhook endpoints",
        "Where webhook tasks POST signals, signed: address and secret.",
    ),
    (
        "/panel-map",
        "Panel event map",
        "SIA codes and Contact ID events from panels, as type numbers and zones.",
    ),
    ("/admin/users", "Users", "People and robots (the Jasper user) that response plans list."),
    ("/admin/accounts", "Login accounts", "Who can log in to these pages, as operator or admin."),
    ("/admin/api-tokens", "API tokens", "How other systems authenticate on the JSON API."),
    ("/admin/settings", "System settings", "Default Commission Date To Current Time, and more."),
]


@router.get("")
def index(request: Request, user: PageAdmin) -> Response:
    return render(request, "admin/index.html", {"nav": "admin", "sections": SECTIONS}, user=user)


@router.post("/seed")
def standard_setup(request: Request, user: PageAdmin) -> Response:
    """What ``commissioner seed`` does: create whatever of the standard Jasper setup is missing."""
    with unit_of_work() as session:
        seed(session, user.name)
    flash(
        request,
        "The standard Jasper setup is in place: what was missing was created, nothing that existed "
        "was changed. Next: add a communicator type with your Control Center account.",
    )
    return RedirectResponse("/admin", status_code=303)


MODULES = (communicator_types, tasks, event_types, plans, overrides, users, accounts, settings)
for module in MODULES:
    router.include_router(module.router)
