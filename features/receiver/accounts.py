"""Receiver accounts: which client a DC-09 account number belongs to, and its AES key (encrypted at rest).

The key is write-only: it is stored encrypted (config/secrets.py), handed decrypted only to the
receiver process, and never shown, logged or returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients, oplog, validation
from centre.errors import Conflict, InvalidInput, NotFound
from config import secrets
from models import Client, ReceiverAccount

_ACCOUNT = re.compile(r"^[0-9A-F]{3,16}$")
_KEY = re.compile(r"^[0-9A-Fa-f]+$")
KEY_LENGTHS = (16, 24, 32)
MAX_RECEIVER_LINE = 0xFFFFFF  # DC-09's R and L fields: 1 to 6 hex digits


@dataclass(frozen=True)
class AccountView:
    """What may be shown of a receiver account: never its key, only whether it has one."""

    client_code: str
    account: str
    receiver_no: int | None
    line_no: int | None
    encrypted: bool
    test_interval_min: int | None


def account_number(value: str) -> str:
    """A DC-09 account number: 3 to 16 hexadecimal digits (as panels send it), upper case."""
    cleaned = value.strip().upper()
    if not _ACCOUNT.fullmatch(cleaned):
        raise InvalidInput(f"account number {value[:40]!r} must be 3 to 16 hexadecimal digits")
    return cleaned


def aes_key(value: str) -> str:
    """An AES key as panels are given it: 16, 24 or 32 hexadecimal characters. Never echoed."""
    cleaned = value.strip()
    if len(cleaned) not in KEY_LENGTHS or not _KEY.fullmatch(cleaned):
        raise InvalidInput("the AES key must be 16, 24 or 32 hexadecimal characters")
    return cleaned


def _receiver_line(value: int | None, what: str) -> int | None:
    if value is None:
        return None
    return validation.number_in_range(value, what, 0, MAX_RECEIVER_LINE)


def set_account(
    session: Session,
    client: Client,
    account: str,
    operator: str,
    *,
    receiver_no: int | None = None,
    line_no: int | None = None,
    key: str | None = None,
    test_interval_min: int | None = None,
) -> ReceiverAccount:
    """Give ``client`` the receiver account ``account`` (replacing its previous one); ``key`` None
    means unencrypted. Conflict if another client already has that account number."""
    clients.writable(client)
    number = account_number(account)
    taken = session.scalar(select(ReceiverAccount).where(ReceiverAccount.account == number))
    if taken is not None and taken.client_id != client.id:
        raise Conflict(f"account number {number} already belongs to another client")
    if test_interval_min is not None:
        validation.number_in_range(test_interval_min, "test interval (minutes)", 1, 44_640)
    row = session.scalar(select(ReceiverAccount).where(ReceiverAccount.client_id == client.id))
    if row is None:
        row = ReceiverAccount(client_id=client.id, account=number)
        session.add(row)
    row.account = number
    row.receiver_no = _receiver_line(receiver_no, "receiver number")
    row.line_no = _receiver_line(line_no, "line number")
    row.key_encrypted = secrets.encrypt(aes_key(key)) if key is not None else None
    row.test_interval_min = test_interval_min
    session.flush()
    state = "encrypted" if key is not None else "unencrypted"
    oplog.record(
        session, operator, "receiver_account.set", f"account {number} ({state})", client_id=client.id
    )
    return row


def remove_account(session: Session, client: Client, operator: str) -> None:
    """Remove the client's receiver account: its panel's messages are refused (NAK) from then on."""
    row = of(session, client)
    if row is None:
        raise NotFound(f"client {client.label} has no receiver account")
    session.delete(row)
    session.flush()
    oplog.record(session, operator, "receiver_account.remove", f"account {row.account}", client_id=client.id)


def of(session: Session, client: Client) -> ReceiverAccount | None:
    """The client's receiver account, if it has one."""
    return session.scalar(select(ReceiverAccount).where(ReceiverAccount.client_id == client.id))


def view(client: Client, row: ReceiverAccount) -> AccountView:
    return AccountView(
        client_code=client.client_code,
        account=row.account,
        receiver_no=row.receiver_no,
        line_no=row.line_no,
        encrypted=row.key_encrypted is not None,
        test_interval_min=row.test_interval_min,
    )


@dataclass(frozen=True)
class Listening:
    """What the receiver needs of one account; ``key`` decrypted (kept in the receiver's memory only),
    ``sealed_key`` as stored (encrypted)."""

    id: int
    client_id: int
    account: str
    receiver_no: int | None
    line_no: int | None
    key: str | None = field(repr=False)
    sealed_key: str | None = field(default=None, repr=False)


def listening(session: Session, opened: Mapping[str, str] | None = None) -> list[Listening]:
    """Every receiver account of a client that is not retired, as the receiver process holds them.

    ``opened`` maps stored keys to their plain keys from the receiver's previous read: the receiver
    reads the accounts every few seconds, and decrypting every key each time would be most of its
    work with thousands of accounts. A new or rotated key is stored anew, so it is decrypted again.
    An account whose key no configured encryption key opens is left out (its messages get NAK) and
    named in the error log by the caller.
    """
    rows = session.execute(
        select(
            ReceiverAccount.id,
            ReceiverAccount.client_id,
            ReceiverAccount.account,
            ReceiverAccount.receiver_no,
            ReceiverAccount.line_no,
            ReceiverAccount.key_encrypted,
        )
        .join(Client, Client.id == ReceiverAccount.client_id)
        .where(Client.retired_at.is_(None))
    ).all()
    known = opened or {}
    found = []
    for row_id, client_id, account, receiver_no, line_no, sealed in rows:
        try:
            key = (known.get(sealed) or secrets.decrypt(sealed)) if sealed else None
        except secrets.SecretUnreadable:
            continue
        found.append(Listening(row_id, client_id, account, receiver_no, line_no, key, sealed))
    return found


def rotate_keys(session: Session) -> int:
    """Re-encrypt every stored AES key under the newest encryption key; returns how many."""
    rows = list(session.scalars(select(ReceiverAccount).where(ReceiverAccount.key_encrypted.is_not(None))))
    for row in rows:
        assert row.key_encrypted is not None
        row.key_encrypted = secrets.rotate(row.key_encrypted)
    session.flush()
    return len(rows)
