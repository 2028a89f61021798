"""API tokens: how other systems authenticate on the JSON API (``Authorization: Bearer <token>``).

A token is shown once, when it is created; only its SHA-256 is stored. Tokens are 32 random bytes, so
a plain hash cannot be reversed by guessing and needs no salt.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import logins, oplog, validation
from centre.errors import Conflict, NotFound
from models import ApiToken, utcnow

PREFIX = "cmr_"  # makes a leaked token easy to recognise (secret scanners, logs)
MAX_TOKEN = 200
# Writing last_used_at on every call would turn every read into a write; once a minute says enough.
_TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def add(session: Session, name: str, token_role: str, operator: str) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the token itself, which is never available again."""
    name = validation.required_text(name, "token name", 100)
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise Conflict(f"an API token named {name!r} already exists")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=_digest(token), role=logins.role(token_role))
    session.add(row)
    session.flush()
    oplog.record(session, operator, "api_token.add", f"{name} ({row.role})", entity_id=row.id)
    return row, token


def authenticate(session: Session, token: str) -> ApiToken | None:
    """The API token ``token`` is, or None; notes when it was last used."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        row.last_used_at = now
        session.flush()
    return row


def list_all(session: Session) -> list[ApiToken]:
    """Every API token (names and roles; the tokens themselves are not stored)."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke(session: Session, token_id: int, operator: str) -> None:
    """Delete a token: the system using it is refused from the next call on."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token {token_id}")
    session.delete(row)
    session.flush()
    oplog.record(session, operator, "api_token.revoke", row.name, entity_id=token_id)
