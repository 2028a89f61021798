"""Operators' pages: find a client; its Maintenance view, History (polled by htmx) and operator log."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape
from sqlalchemy.orm import Session

from centre import clients, communicator_types, corrections, overrides
from centre.errors import InvalidInput, UserError
from features.sim_console import service as sim_console
from models import Client, Dealer
from models.db import unit_of_work
from pipeline import history
from web.auth import PageAdmin, PageUser, Principal
from web.errors import user_error_status
from web.forms import NO_FORM, Form, FormState, failed, read_form
from web.limits import MAX_BIG_ID, MAX_ID
from web.templating import centre_zone, flash, render, render_fragment

router = APIRouter()

SEARCH_LIMIT = 50
HISTORY_ROWS = 200
ClientId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormData = Annotated[Form, Depends(read_form)]

_ADD_LABELS = {"code": "client code", "name": "name", "area": "area", "port": "port", "template": "template"}
_DEVICE_LABELS = {"communicator_type": "communicator type", "device_ref_no": "ICCID"}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


# -- search ----------------------------------------------------------------------------------------


@router.get("/clients")
def search(
    request: Request,
    user: PageUser,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    return _search_page(request, user, q.replace("\x00", ""), NO_FORM)


def _search_page(request: Request, user: Principal, q: str, state: FormState) -> HTMLResponse:
    with unit_of_work() as session:
        results = clients.search(session, q, limit=SEARCH_LIMIT)
        return render(
            request,
            "clients.html",
            {"nav": "clients", "q": q, "results": results, "limit": SEARCH_LIMIT, "state": state},
            user=user,
            status_code=422 if state.errors else 200,
        )


@router.post("/clients")
def add_client(request: Request, user: PageAdmin, form: FormData) -> Response:
    try:
        with unit_of_work() as session:
            added = clients.add(
                session,
                form.text("code", "client code"),
                form.text("name"),
                user.name,
                area=form.integer("area", "area"),
                port=form.text("port"),
                template_code=form.text("template", "template").strip() or None,
            )
            client_id = added.id
    except UserError as error:
        return _search_page(request, user, "", failed("add", form, error, _ADD_LABELS))
    flash(request, f"Client {form.text('code').strip()} added.")
    return RedirectResponse(f"/clients/{client_id}", status_code=303)


# -- the client page -------------------------------------------------------------------------------


def _maintenance(session: Session, client: Client, user: Principal) -> dict[str, Any]:
    dealer = session.get(Dealer, client.dealer_id) if client.dealer_id else None
    devices = clients.devices(session, client)
    context: dict[str, Any] = {
        "client": client,
        "devices": devices,
        "commissioned": clients.is_commissioned(client),
        "sims": history.last_on_sims(session, [d.device_ref_no for d, _ in devices if d.device_ref_no]),
        "dealer": dealer.name if dealer else None,
        "user": user,
    }
    if user.is_admin:
        context["communicator_types"] = [c.name for c in communicator_types.list_all(session)]
        context["dealers"] = [d.name for d in overrides.dealers(session)]
    return context


def _history(session: Session, client: Client, after_id: int = 0) -> dict[str, Any]:
    entries = history.recent(session, client, after_id=after_id, limit=HISTORY_ROWS)
    states = history.execution_states(session, [e.execution_id for e in entries if e.execution_id])
    last_id = entries[0].id if entries else after_id
    return {"entries": entries, "states": states, "last_id": last_id}


def _client_page(
    request: Request, user: Principal, client_id: int, state: FormState = NO_FORM
) -> HTMLResponse:
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        context = {
            **_maintenance(session, client, user),
            **_history(session, client),
            "state": state,
            "nav": "clients",
            "tab": "client",
        }
        return render(request, "client.html", context, user=user, status_code=422 if state.errors else 200)


def _maintenance_fragment(
    request: Request, user: Principal, client_id: int, state: FormState = NO_FORM, message: str = ""
) -> HTMLResponse:
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        context = {**_maintenance(session, client, user), "state": state, "message": message}
        status = 422 if state.errors else 200
        return render_fragment(request, "_maintenance.html", context, user=user, status_code=status)


@router.get("/clients/{client_id}")
def client_page(request: Request, user: PageUser, client_id: ClientId) -> Response:
    return _client_page(request, user, client_id)


@router.get("/clients/{client_id}/history/rows")
def history_rows(
    request: Request,
    user: PageUser,
    client_id: ClientId,
    after_id: Annotated[int, Query(ge=0, le=MAX_BIG_ID)] = 0,
) -> Response:
    """New history rows for htmx: a fresh polling row, then the signals after ``after_id``."""
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        context = _history(session, client, after_id)
        if not context["entries"]:
            return Response(status_code=204)  # htmx keeps the polling row as it is
        return render_fragment(request, "_history_rows.html", {"client": client, **context}, user=user)


@router.get("/clients/{client_id}/history.csv")
def history_csv(user: PageUser, client_id: ClientId) -> Response:
    """The client's whole history as a CSV file for a spreadsheet."""
    out = io.StringIO()
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        history.write_csv(history.all_signals(session, client), out, centre_zone())
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"history-{client.client_code}-{client.area}-{client.port}.csv")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/clients/{client_id}/log")
def operator_log(request: Request, user: PageUser, client_id: ClientId) -> Response:
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        entries = list(reversed(history.operator_log(session, client)))
        context = {"client": client, "entries": entries, "nav": "clients", "tab": "log"}
        return render(request, "client_log.html", context, user=user)


# -- Maintenance actions ---------------------------------------------------------------------------


def _maintenance_action(
    request: Request,
    user: Principal,
    client_id: int,
    form: Form,
    key: str,
    labels: dict[str, str],
    act: Callable[[Session, Client], str],
) -> Response:
    """Run ``act(session, client)`` and answer with the Maintenance view (htmx) or the page again."""
    try:
        with unit_of_work() as session:
            message = act(session, clients.get(session, client_id))
    except UserError as error:
        state = failed(key, form, error, labels)
        if _is_htmx(request):
            return _maintenance_fragment(request, user, client_id, state)
        return _client_page(request, user, client_id, state)
    if _is_htmx(request):
        return _maintenance_fragment(request, user, client_id, message=message)
    flash(request, message)
    return RedirectResponse(f"/clients/{client_id}", status_code=303)


@router.post("/clients/{client_id}/commission")
def commission(request: Request, user: PageUser, client_id: ClientId, form: FormData) -> Response:
    def act(session: Session, client: Client) -> str:
        logged = clients.commission(session, client, user.name, form.text("memo"))
        return f"{client.label} commissioned{_family(len(logged))}: the outcome follows in History."

    return _maintenance_action(request, user, client_id, form, "commission", {}, act)


@router.post("/clients/{client_id}/decommission")
def decommission(request: Request, user: PageUser, client_id: ClientId, form: FormData) -> Response:
    def act(session: Session, client: Client) -> str:
        offline = form.checked("offline")
        logged = clients.decommission(
            session, client, user.name, form.text("reason", "reason"), offline=offline
        )
        taken = " and taken offline" if offline else ""
        return f"{client.label} decommissioned{_family(len(logged))}{taken}: the outcome follows in History."

    return _maintenance_action(request, user, client_id, form, "decommission", {"reason": "reason"}, act)


@router.post("/clients/{client_id}/devices")
def add_device(request: Request, user: PageAdmin, client_id: ClientId, form: FormData) -> Response:
    def act(session: Session, client: Client) -> str:
        device = clients.add_device(
            session,
            client,
            form.text("communicator_type", "communicator type"),
            form.text("device_ref_no", "Device Ref No"),
            user.name,
        )
        return f"Device {device.device_ref_no} added."

    return _maintenance_action(request, user, client_id, form, "device", _DEVICE_LABELS, act)


@router.post("/clients/{client_id}/dealer")
def set_dealer(request: Request, user: PageAdmin, client_id: ClientId, form: FormData) -> Response:
    def act(session: Session, client: Client) -> str:
        clients.set_dealer(session, client, form.text("dealer", "dealer"), user.name)
        return "Dealer changed."

    return _maintenance_action(request, user, client_id, form, "dealer", {"dealer": "dealer"}, act)


# -- corrections (admin) ---------------------------------------------------------------------------

DeviceId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/clients/{client_id}/rename")
def rename(request: Request, user: PageAdmin, client_id: ClientId, form: FormData) -> Response:
    def act(session: Session, client: Client) -> str:
        corrections.rename(session, client, form.text("name", "name"), user.name)
        return f"{client.label} renamed to {client.name}."

    return _maintenance_action(request, user, client_id, form, "rename", {"name": "name"}, act)


@router.post("/clients/{client_id}/retire")
def retire(request: Request, user: PageAdmin, client_id: ClientId, form: FormData) -> Response:
    def act(session: Session, client: Client) -> str:
        _confirmed(form, f"retiring {client.label} hides it from every list and makes it read-only")
        corrections.retire(session, client, user.name)
        return f"{client.label} retired: kept with its history, hidden from lists and searches, read-only."

    return _maintenance_action(request, user, client_id, form, "retire", {"confirm": "confirm"}, act)


@router.post("/clients/{client_id}/restore")
def restore(request: Request, user: PageAdmin, client_id: ClientId, form: FormData) -> Response:
    def act(session: Session, client: Client) -> str:
        corrections.restore(session, client, user.name)
        return f"{client.label} restored: it is in the lists again and can be changed."

    return _maintenance_action(request, user, client_id, form, "restore", {}, act)


@router.post("/clients/{client_id}/devices/{device_id}")
def edit_device(
    request: Request, user: PageAdmin, client_id: ClientId, device_id: DeviceId, form: FormData
) -> Response:
    def act(session: Session, client: Client) -> str:
        new = form.text("device_ref_no", "Device Ref No")
        edited, old = corrections.edit_device(session, client, device_id, user.name, device_ref_no=new)
        return f"Device Ref No {old or '(none)'} changed to {edited.device_ref_no}."

    labels = {"device_ref_no": "ICCID"}
    return _maintenance_action(request, user, client_id, form, f"edit-device-{device_id}", labels, act)


@router.post("/clients/{client_id}/devices/{device_id}/remove")
def remove_device(
    request: Request, user: PageAdmin, client_id: ClientId, device_id: DeviceId, form: FormData
) -> Response:
    def act(session: Session, client: Client) -> str:
        _confirmed(form, "removing a device cannot be undone (its SIM's history stays)")
        device, _ = corrections.device(session, client, device_id)
        ref = device.device_ref_no or "(none)"
        corrections.remove_device(session, client, device_id, user.name)
        return f"Device {ref} removed; its SIM's history stays."

    key = f"remove-device-{device_id}"
    return _maintenance_action(request, user, client_id, form, key, {"confirm": "confirm"}, act)


def _confirmed(form: Form, what: str) -> None:
    if not form.checked("confirm"):
        raise InvalidInput(f"{what}: tick the box to confirm")


# -- retry -----------------------------------------------------------------------------------------


@router.post("/executions/{execution_id}/retry")
def retry(
    request: Request,
    user: PageUser,
    execution_id: Annotated[int, Path(ge=1, le=MAX_BIG_ID)],
    form: FormData,
) -> Response:
    """Retry a failed execution, checked as its first request was (role, confirmation, the carrier's
    rules read live); htmx swaps the answer in place of the Retry button."""
    try:
        retried = sim_console.retry(
            execution_id, user.name, admin=user.is_admin, confirmed=form.checked("confirm")
        )
        message, client_id = (
            f"Retrying as execution {retried.execution_id}: the outcome follows in History.",
            retried.client_id,
        )
    except sim_console.CarrierProblem as problem:
        # The SIM could not be read to check the carrier's rules: not the user's error, not ours.
        return _retry_refused(request, form, problem.message, 200 if _is_htmx(request) else problem.status)
    except UserError as error:
        return _retry_refused(request, form, str(error), user_error_status(error))
    if _is_htmx(request):
        return HTMLResponse(f'<p class="help" role="status">{escape(message)}</p>')
    flash(request, message)
    return RedirectResponse(f"/clients/{client_id}", status_code=303)


def _retry_refused(request: Request, form: Form, message: str, status: int) -> Response:
    if _is_htmx(request):
        return HTMLResponse(f'<p class="field-error" role="alert">{escape(message)}</p>', status_code=status)
    flash(request, message, "error")
    back = form.text("client_id")
    return RedirectResponse(
        f"/clients/{back}" if back.isascii() and back.isdigit() else "/clients", status_code=303
    )


def _family(accounts: int) -> str:
    """Words for a base and its linked areas (" with its 2 linked accounts"); nothing for one client."""
    others = accounts - 1
    return f" with its {others} linked account{'s' if others != 1 else ''}" if others else ""
