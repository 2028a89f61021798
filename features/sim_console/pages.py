"""The SIM console page of a client: one panel per SIM, read live from the carrier after the page has
loaded (htmx), with forms for status, SMS and rate plan changes, beside the client's History.

Requests are logged in History (65522, with who asked) and carried out by the workers; their outcome
appears there by itself. Carrier failures are shown as the carrier client explains them (never a
secret); bad input gets a 4xx and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import escape

from centre import clients, sims
from features.sim_console import service as sim_console
from features.sim_console.task_type import MAX_SMS, SEND_SMS, status_value
from models import utcnow
from models.db import unit_of_work
from pipeline import history
from web.auth import PageAdmin, PageUser
from web.charts import Series, bars
from web.forms import NO_FORM, Form, read_form
from web.limits import MAX_BIG_ID, MAX_ID
from web.templating import flash, render, render_fragment

router = APIRouter()

HISTORY_ROWS = 200
ClientId = Annotated[int, Path(ge=1, le=MAX_ID)]
Iccid = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9]+$")]
FormData = Annotated[Form, Depends(read_form)]
_RETIRE_FOR_ADMINS = "Retiring a SIM is for admins: your account is an operator account."


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _base(client_id: int, iccid: str) -> str:
    return f"/clients/{client_id}/sims/{iccid}"


def _locate(client_id: int, iccid: str) -> sim_console.Located:
    return sim_console.locate(lambda session: clients.get(session, client_id), iccid)


# -- the page --------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/sims")
def console_page(request: Request, user: PageUser, client_id: ClientId) -> Response:
    """The client's SIMs (their panels read the carrier once the page is shown) beside History."""
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        entries = history.recent(session, client, limit=HISTORY_ROWS)
        context = {
            "client": client,
            "sims": sims.of_client(session, client),
            "entries": entries,
            "states": history.execution_states(session, [e.execution_id for e in entries if e.execution_id]),
            "last_id": entries[0].id if entries else 0,
            "max_sms": MAX_SMS,
            "state": NO_FORM,
            "nav": "clients",
            "tab": "sims",
        }
        return render(request, "sims.html", context, user=user)


# -- live reads, as fragments for htmx ----------------------------------------------------------------


@router.get("/clients/{client_id}/sims/{iccid}/overview")
def overview(request: Request, user: PageUser, client_id: ClientId, iccid: Iccid) -> Response:
    """The SIM as the carrier describes it now, and the status form with the carrier's rules."""
    located = _locate(client_id, iccid)
    context: dict[str, Any] = {"base": _base(client_id, iccid), "iccid": iccid, "state": NO_FORM}
    try:
        view = sim_console.overview(located)
    except sim_console.CarrierProblem as problem:
        # 200: the answer is the carrier's failure, explained (htmx does not show a 5xx answer).
        context |= {"problem": problem.message, "current": None}
    else:
        device = view.device
        context |= {
            "view": view,
            "current": device.status,
            "current_label": sim_console.status_label(device.status),
            "activated_before": sim_console.activated_before(located.platform, device.status),
        }
    context["choices"] = sim_console.status_choices(located.platform, context["current"])
    return render_fragment(request, "_sim_overview.html", context, user=user)


@router.get("/clients/{client_id}/sims/{iccid}/usage")
def usage(
    request: Request,
    user: PageUser,
    client_id: ClientId,
    iccid: Iccid,
    cycle_start: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The SIM's usage in the cycle starting ``cycle_start`` (YYYY-MM-DD; empty: the current one)."""
    start = sim_console.cycle_start(cycle_start)
    located = _locate(client_id, iccid)
    context: dict[str, Any] = {"cycle_start": start}
    try:
        used = sim_console.usage(located, start)
    except sim_console.CarrierProblem as problem:
        context["problem"] = problem.message
    else:
        context["read_at"] = utcnow()
        context["rows"] = [
            ("Data", _bytes(used.data_bytes)),
            ("SMS", _count(used.sms_count, "message", "messages")),
            ("Voice", _seconds(used.voice_seconds)),
            ("Data sessions", _count(used.session_count, "session", "sessions")),
        ]
    return render_fragment(request, "_sim_usage.html", context, user=user)


@router.get("/clients/{client_id}/sims/{iccid}/usage/cycles")
def usage_chart(request: Request, user: PageUser, client_id: ClientId, iccid: Iccid) -> Response:
    """A chart of the SIM's data use over its last cycles, read live (one paced read a cycle)."""
    located = _locate(client_id, iccid)
    context: dict[str, Any] = {}
    try:
        cycles = sim_console.usage_over_cycles(located)
    except sim_console.CarrierProblem as problem:
        context["problem"] = problem.message
    else:
        labels = [start.strftime("%b %Y") if start else "current" for start, _ in cycles]
        megabytes = [round((used.data_bytes or 0) / 1_000_000, 2) for _, used in cycles]
        sms = [used.sms_count or 0 for _, used in cycles]
        context["chart"] = bars(
            f"Data used by SIM {iccid}, last {len(cycles)} cycles",
            labels,
            [Series("data (MB)", "chart-info", megabytes)],
            unit=" MB",
        )
        context["sms"] = list(zip(labels, sms, strict=True))
        context["read_at"] = utcnow()
    return render_fragment(request, "_sim_usage_chart.html", context, user=user)


@router.get("/clients/{client_id}/sims/{iccid}/rate-plans")
def rate_plans(request: Request, user: PageAdmin, client_id: ClientId, iccid: Iccid) -> Response:
    """The rate plan form, its choices read from the carrier's list. Admin."""
    located = _locate(client_id, iccid)
    context: dict[str, Any] = {"base": _base(client_id, iccid), "iccid": iccid, "state": NO_FORM}
    try:
        context["plans"] = sim_console.rate_plans(located)
    except sim_console.CarrierProblem as problem:
        context["problem"] = problem.message
    return render_fragment(request, "_sim_rate_plan.html", context, user=user)


# -- requests ------------------------------------------------------------------------------------


@router.post("/clients/{client_id}/sims/{iccid}/status")
def change_status(
    request: Request, user: PageUser, client_id: ClientId, iccid: Iccid, form: FormData
) -> Response:
    """Change the SIM's status; retiring is for admins and must be confirmed."""
    wanted = status_value(form.text("status", "status"))
    if sim_console.needs_admin(wanted) and not user.is_admin:
        raise HTTPException(403, _RETIRE_FOR_ADMINS)
    located = _locate(client_id, iccid)
    confirmed = form.checked("confirm")
    return _answer(
        request,
        client_id,
        iccid,
        lambda: sim_console.request_status(
            located, wanted, user.name, admin=user.is_admin, confirmed=confirmed
        ),
    )


@router.post("/clients/{client_id}/sims/{iccid}/sms")
def send_sms(request: Request, user: PageUser, client_id: ClientId, iccid: Iccid, form: FormData) -> Response:
    """Send an SMS to the SIM; the carrier's message id and delivery status follow in History."""
    text = form.text("text", "SMS text")
    located = _locate(client_id, iccid)
    return _answer(
        request,
        client_id,
        iccid,
        lambda: sim_console.request_sms(located, text, user.name, admin=user.is_admin),
        sms_sent=True,
    )


@router.post("/clients/{client_id}/sims/{iccid}/rate-plan")
def change_rate_plan(
    request: Request, user: PageAdmin, client_id: ClientId, iccid: Iccid, form: FormData
) -> Response:
    """Move the SIM to another of the carrier's rate plans. Admin."""
    plan = form.text("rate_plan", "rate plan")
    located = _locate(client_id, iccid)
    return _answer(
        request,
        client_id,
        iccid,
        lambda: sim_console.request_rate_plan(located, plan, user.name, admin=user.is_admin),
    )


def _answer(
    request: Request,
    client_id: int,
    iccid: str,
    act: Callable[[], sim_console.Requested],
    *,
    sms_sent: bool = False,
) -> Response:
    """Run ``act``; htmx gets a message for the form's result slot, a plain form post a redirect.

    User errors are left to the app's handlers (a 4xx with the message). A carrier that could not be
    asked is not the user's error: htmx gets the explanation with a 200 (it does not show 5xx
    answers), a plain post an error page with the carrier's status.
    """
    try:
        requested = act()
    except sim_console.CarrierProblem as problem:
        if _is_htmx(request):
            return HTMLResponse(f'<p class="flash flash-error" role="alert">{escape(problem.message)}</p>')
        raise HTTPException(problem.status, problem.message) from None
    if _is_htmx(request):
        context = {
            "base": _base(client_id, iccid),
            "iccid": iccid,
            "description": requested.description,
            "execution_id": requested.execution_id,
            "outcome": None,
            "sms_sent": sms_sent,
            "state": NO_FORM,
            "max_sms": MAX_SMS,
        }
        return render_fragment(request, "_sim_requested.html", context)
    message = (
        f"{requested.description}: requested (execution {requested.execution_id}); "
        "the outcome follows in History."
    )
    flash(request, message)
    return RedirectResponse(f"/clients/{client_id}/sims#sim-{iccid}", status_code=303)


@router.get("/clients/{client_id}/sims/{iccid}/requests/{execution_id}")
def request_state(
    request: Request,
    user: PageUser,
    client_id: ClientId,
    iccid: Iccid,
    execution_id: Annotated[int, Path(ge=1, le=MAX_BIG_ID)],
) -> Response:
    """A console request's state, polled by its form's result slot; once it has an outcome, the
    answer also triggers ``sim-changed-ICCID`` so the SIM's panel reads the SIM again."""
    with unit_of_work() as session:
        clients.get(session, client_id)
        found = history.outcome_on_sim(session, execution_id, client_id, iccid)
    if found is None:
        raise HTTPException(404, f"no request {execution_id} on SIM {iccid} of this client")
    context = {
        "base": _base(client_id, iccid),
        "description": found.description,
        "execution_id": execution_id,
        "outcome": found.outcome,
    }
    answer = render_fragment(request, "_sim_requested.html", context, user=user)
    # Only a change the panel shows (status, rate plan) reads the SIM again: an SMS changes nothing
    # there, and a re-read resets a status form someone may be filling in.
    if found.outcome is not None and found.options.get("action") != SEND_SMS:
        answer.headers["HX-Trigger"] = f"sim-changed-{iccid}"
    return answer


# -- how usage figures read ----------------------------------------------------------------------


def _bytes(value: int | None) -> str:
    if value is None:
        return "not reported"
    if value < 1024 * 1024:
        return f"{value:,} bytes ({value / 1024:.1f} KB)"
    return f"{value:,} bytes ({value / 1024 / 1024:.2f} MB)"


def _seconds(value: int | None) -> str:
    if value is None:
        return "not reported"
    minutes, seconds = divmod(value, 60)
    return f"{value:,} s ({minutes} min {seconds:02d} s)"


def _count(value: int | None, one: str, many: str) -> str:
    if value is None:
        return "not reported"
    return f"{value:,} {one if value == 1 else many}"
