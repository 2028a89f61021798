"""A client's receiver tab: the account its panel reports as over SIA DC-09 (everyone reads it, admins
change it; the AES key is write-only), and what the receiver last heard from it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response

from centre import clients
from centre.errors import UserError
from config import secrets
from features.receiver import accounts
from models import ReceiverAccount
from models.db import unit_of_work
from web.auth import PageAdmin, PageUser
from web.forms import NO_FORM, Form, FormState, failed, read_form
from web.limits import MAX_ID
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
