"""A client's receiver tab: the account its panel reports as over SIA DC-09 (everyone reads it, admins
change it; the AES key is write-only), and what the receiver last heard from it.

The panel event map: how SIA codes and Contact ID events become type numbers and zones (everyone reads
it, admins change it, with ``mapping.py``'s rules, as ``commissioner panel-map`` does)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from centre import clients
from centre.errors import UserError
from config import secrets
from features.receiver import accounts, mapping
from models import PanelEventCode, ReceiverAccount
from models.db import unit_of_work
from web.auth import PageAdmin, PageUser, Principal
from web.forms import NO_FORM, Form, FormState, failed, read_form
from web.limits import MAX_ID
from web.pages.common import submit
from web.templating import flash, render

router = APIRouter()

ClientId = Annotated[int, Path(ge=1, le=MAX_ID)]
FORM = "receiver"
LABELS = {
    "account": "account number",
    "receiver": "receiver number",
    "line": "line number",
    "aes_key": "AES key",
    "test_interval": "test interval",
}


def _page(request: Request, user: PageUser, client_id: int, state: FormState, status: int = 200) -> Response:
    with unit_of_work() as session:
        client = clients.get(session, client_id)
        row = accounts.of(session, client)
        context = {
            "client": client,
            "row": row,
            "view": accounts.view(client, row) if row else None,
            "state": state,
            "nav": "clients",
            "tab": "receiver",
        }
    # Rendered after the transaction: the page's frame reads the database too (on SQLite a second
    # transaction would wait for this one's lock).
    return render(request, "receiver.html", context, user=user, status_code=status)


@router.get("/clients/{client_id}/receiver")
def receiver_page(request: Request, user: PageUser, client_id: ClientId) -> Response:
    """The client's receiver account and its panel's last signals as the receiver heard them."""
    return _page(request, user, client_id, NO_FORM)


@router.post("/clients/{client_id}/receiver")
def receiver_set(
    request: Request, user: PageAdmin, client_id: ClientId, form: Annotated[Form, Depends(read_form)]
) -> Response:
    """Set the receiver account (an empty AES key with Encrypted ticked keeps the stored one). Admins."""
    try:
        with unit_of_work() as session:
            client = clients.get(session, client_id)
            key = _key(form, accounts.of(session, client))
            accounts.set_account(
                session,
                client,
                form.text("account", "account number"),
                user.name,
                receiver_no=_optional_int(form, "receiver", "receiver number"),
                line_no=_optional_int(form, "line", "line number"),
                key=key,
                test_interval_min=_optional_int(form, "test_interval", "test interval"),
            )
    except UserError as error:
        return _page(request, user, client_id, failed(FORM, form, error, LABELS), status=400)
    flash(request, "Receiver account saved.")
    return RedirectResponse(f"/clients/{client_id}/receiver", status_code=303)


def _optional_int(form: Form, name: str, label: str) -> int | None:
    return form.integer(name, label) if form.text(name).strip() else None


def _key(form: Form, row: ReceiverAccount | None) -> str | None:
    if not form.checked("encrypted"):
        return None
    typed = form.text("aes_key").strip()
    if typed:
        return typed
    if row is not None and row.key_encrypted:
        return secrets.decrypt(row.key_encrypted)  # kept as it was: re-encrypted, never shown
    return accounts.aes_key("")  # raises: an encrypted account needs a key


# -- the panel event map ----------------------------------------------------------------------------

MAP_PAGE = "/panel-map"
FormData = Annotated[Form, Depends(read_form)]
MapKey = Annotated[str | None, Query(max_length=10)]
# The words mapping.py's messages use for each field, so an error lands next to its field.
MAP_LABELS = {
    "protocol": "protocol",
    "code": "code",
    "type_no": "type number",
    "zone": "zone",
    "description": "description",
}
QUALIFIERS = {"1": "new event", "3": "restore", "6": "reported again"}


def _map_page(
    request: Request, user: Principal, state: FormState = NO_FORM, editing: tuple[str, str] | None = None
) -> HTMLResponse:
    with unit_of_work() as session:
        rows = mapping.list_all(session)
    context = {
        "nav": "admin" if user.is_admin else "",
        "sia": [r for r in rows if r.protocol == mapping.SIA],
        "cid": [r for r in rows if r.protocol == mapping.CID],
        "editing": _row(rows, editing),
        "protocols": [(mapping.SIA, "SIA DCS code"), (mapping.CID, "Contact ID qualifier + event")],
        "qualifiers": QUALIFIERS,
        "unmapped": mapping.UNMAPPED_TYPE_NO,
        "state": state,
    }
    # Rendered after the transaction: the page's frame reads the database too.
    return render(request, "panel_map.html", context, user=user, status_code=422 if state.errors else 200)


def _row(rows: list[PanelEventCode], key: tuple[str, str] | None) -> PanelEventCode | None:
    """The row ``key`` names (protocol, code as typed), to fill the form with; None if none does."""
    if key is None:
        return None
    protocol, code = key[0].strip().lower(), key[1].strip().upper()
    return next((r for r in rows if (r.protocol, r.code) == (protocol, code)), None)


@router.get(MAP_PAGE)
def panel_map_page(
    request: Request, user: PageUser, protocol: MapKey = None, code: MapKey = None
) -> Response:
    """The map by protocol; ``?protocol=&code=`` fills the form with that row, to change it (admins)."""
    editing = (protocol, code) if protocol and code else None
    return _map_page(request, user, editing=editing)


@router.post(MAP_PAGE)
def panel_map_set(request: Request, user: PageAdmin, form: FormData) -> Response:
    """Add a row, or change the row of that protocol and code. Admins."""

    def act(session: Session) -> str:
        row = mapping.set_code(
            session,
            form.text("protocol", "protocol"),
            form.text("code", "code"),
            form.integer("type_no", "type number"),
            user.name,
            zone=_optional_int(form, "zone", "zone"),
            description=form.text("description", "description"),
            test_report=form.checked("test_report"),
        )
        return f"{row.protocol.upper()} {row.code} is logged as type {row.type_no}."

    return submit(request, form, "set", MAP_LABELS, act, MAP_PAGE, partial(_map_page, request, user))


@router.post(MAP_PAGE + "/remove")
def panel_map_remove(request: Request, user: PageAdmin, form: FormData) -> Response:
    """Unmap a code: its events are logged from then on as type 0, the code in the memo. Admins."""

    def act(session: Session) -> str:
        protocol, code = mapping.code(form.text("protocol", "protocol"), form.text("code", "code"))
        mapping.remove_code(session, protocol, code, user.name)
        return (
            f"{protocol.upper()} {code} unmapped: its events are logged as type {mapping.UNMAPPED_TYPE_NO}."
        )

    return submit(request, form, "remove", {}, act, MAP_PAGE, partial(_map_page, request, user))


@router.post(MAP_PAGE + "/seed")
def panel_map_seed(request: Request, user: PageAdmin, form: FormData) -> Response:
    """Fill an empty map with the common codes (the receiver does so when it first starts). Admins."""

    def act(session: Session) -> str:
        added = mapping.ensure_defaults(session)
        return f"{added} common codes added." if added else "The map is not empty: nothing added."

    return submit(request, form, "seed", {}, act, MAP_PAGE, partial(_map_page, request, user))
