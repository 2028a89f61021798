"""Slowing down password guessing, and the web app's sessions kept on the server.

Guessing: after ``MAX_FAILURES`` failed logins for one user name or from one address within ``WINDOW``,
further attempts are refused (429) until a back-off has passed since the last failure, doubling with each
failure beyond the limit (``BACKOFF_BASE`` up to ``WINDOW``). The check comes before the password is hashed,
so a flood of attempts costs no scrypt work, and it is kept in the database, so every web process counts
alike. Failures are logged with the user name tried and the address, never the password.

Sessions: a login starts a session whose token's hash is stored (``WebSession``), for an absolute
``SESSION_LIFETIME``; logging out ends it, and a password change or deactivation ends every session of the
login, whatever copies of the cookie exist.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from models import LoginFailure, OperatorLogin, WebSession, utcnow

log = logging.getLogger("commissioner.logins")

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
BACKOFF_BASE = timedelta(seconds=5)
SESSION_LIFETIME = timedelta(hours=12)  # one shift; never extended by activity


@dataclass(frozen=True)
class Refused:
    """Too many failures: try again in ``retry_after_s``."""

    retry_after_s: int


def refusal(session: Session, username: str, address: str, now: datetime | None = None) -> Refused | None:
    """Whether a login attempt for ``username`` from ``address`` must wait, before any password check."""
    now = now or utcnow()
    name = _name(username)
    recent = (LoginFailure.at > now - WINDOW) & or_(
        LoginFailure.username == name, LoginFailure.address == address
    )
    by_name = session.scalar(select(func.count()).where(recent, LoginFailure.username == name)) or 0
    by_address = session.scalar(select(func.count()).where(recent, LoginFailure.address == address)) or 0
    failures = max(by_name, by_address)
    if failures < MAX_FAILURES:
        return None
    last = session.scalar(select(func.max(LoginFailure.at)).where(recent))
    assert last is not None  # there are failures in the window
    backoff = min(BACKOFF_BASE * 2 ** (failures - MAX_FAILURES), WINDOW)
    wait = (last + backoff - now).total_seconds()
    return Refused(max(1, int(wait + 0.999))) if wait > 0 else None


def failed(session: Session, username: str, address: str, now: datetime | None = None) -> None:
    """Record (and log) a failed login; forget failures older than a day."""
    now = now or utcnow()
    session.add(LoginFailure(at=now, username=_name(username), address=address[:64]))
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    log.warning("login failed for user name %r from %s", _name(username), address)


def _name(username: str) -> str:
    return username.strip().lower()[:100]


# -- sessions ------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, login: OperatorLogin, now: datetime | None = None) -> str:
    """A new session for ``login``; returns its token (for the signed cookie). Ends its expired ones."""
    now = now or utcnow()
    session.execute(delete(WebSession).where(WebSession.login_id == login.id, WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_hash(token), login_id=login.id, created_at=now, expires_at=now + SESSION_LIFETIME
        )
    )
    session.flush()
    return token


def session_login(session: Session, token: str, now: datetime | None = None) -> OperatorLogin | None:
    """The active login whose unexpired session ``token`` is; None otherwise."""
    now = now or utcnow()
    return session.scalar(
        select(OperatorLogin)
        .join(WebSession, WebSession.login_id == OperatorLogin.id)
        .where(
            WebSession.token_hash == _hash(token), WebSession.expires_at > now, OperatorLogin.active.is_(True)
        )
    )


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))


def end_sessions(session: Session, login_id: int) -> None:
    """End every session of a login (its password changed, or it was deactivated)."""
    session.execute(delete(WebSession).where(WebSession.login_id == login_id))
