"""Login accounts of the web app: operators and admins, with salted scrypt password hashes.

Hash format: ``scrypt$<log2 N>$<r>$<p>$<salt, base64>$<hash, base64>``, with N = 2**15, r = 8, p = 1, a
16-byte random salt per password and a 32-byte key: about 32 MiB and a few tens of milliseconds per
check, which slows a guesser with a stolen database down without slowing a login. The parameters are
stored with each hash, so raising them later still verifies old hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from centre import login_guard, oplog
from centre.errors import Conflict, InvalidInput, NotFound
from models import OperatorLogin

OPERATOR = "operator"
ADMIN = "admin"
ROLES = (OPERATOR, ADMIN)

_LOG2_N, _R, _P, _KEY_BYTES, _SALT_BYTES = 15, 8, 1, 32, 16
_MAXMEM = 64 * 1024 * 1024  # scrypt needs 128 * r * N bytes (32 MiB here); OpenSSL's default is lower
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,99}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=2**log2_n, r=r, p=p, maxmem=_MAXMEM, dklen=_KEY_BYTES
    )


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` in the stored format (see the module docstring)."""
    salt = os.urandom(_SALT_BYTES)
    digest = _scrypt(password, salt, _LOG2_N, _R, _P)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${_LOG2_N}${_R}${_P}${encoded[0]}${encoded[1]}"


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches the ``stored`` hash (compared in constant time)."""
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, base64.b64decode(salt), int(log2_n), int(r), int(p))
        return hmac.compare_digest(computed, base64.b64decode(digest))
    except ValueError:  # a malformed stored hash matches nothing
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the user name is unknown, so that takes as long as a wrong password."""
    return hash_password(os.urandom(16).hex())


def username(value: str) -> str:
    """A login name: 1 to 100 lower-case letters, digits, '.', '_', '@' or '-' (stored lower-case)."""
    cleaned = value.strip().lower()
    if not _USERNAME.fullmatch(cleaned):
        raise InvalidInput(
            f"user name {value[:100]!r} must be 1 to 100 letters, digits, '.', '_', '@' or '-' "
            "(starting with a letter or digit)"
        )
    return cleaned


def password(value: str) -> str:
    """A new password: at least 8 characters, at most 1024, no NUL character."""
    if len(value) < MIN_PASSWORD:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD} characters")
    if len(value) > MAX_PASSWORD:
        raise InvalidInput(f"password must be at most {MAX_PASSWORD} characters")
    if "\x00" in value:
        raise InvalidInput("password must not contain a NUL character")
    return value


def role(value: str) -> str:
    """``operator`` or ``admin``."""
    cleaned = value.strip().lower()
    if cleaned not in ROLES:
        raise InvalidInput(f"role must be operator or admin, not {value[:20]!r}")
    return cleaned


def add(session: Session, name: str, new_password: str, account_role: str, operator: str) -> OperatorLogin:
    """Create a login account; the password is stored only as a salted hash."""
    account = OperatorLogin(
        username=username(name),
        password_hash=hash_password(password(new_password)),
        role=role(account_role),
        active=True,
    )
    if session.scalar(select(OperatorLogin.id).where(OperatorLogin.username == account.username)):
        raise Conflict(f"a login account named {account.username!r} already exists")
    session.add(account)
    session.flush()
    oplog.record(
        session, operator, "account.add", f"{account.username} ({account.role})", entity_id=account.id
    )
    return account


def authenticate(session: Session, name: str, given_password: str) -> OperatorLogin | None:
    """The active account ``name`` if ``given_password`` is its password; None otherwise."""
    account = session.scalar(
        select(OperatorLogin).where(OperatorLogin.username == name.strip().lower()[:100])
    )
    if account is None:
        verify_password(_dummy_hash(), given_password)
        return None
    if not verify_password(account.password_hash, given_password) or not account.active:
        return None
    return account


def get(session: Session, account_id: int) -> OperatorLogin:
    account = session.get(OperatorLogin, account_id)
    if account is None:
        raise NotFound(f"no login account {account_id}")
    return account


def list_all(session: Session) -> list[OperatorLogin]:
    """Every login account, by user name."""
    return list(session.scalars(select(OperatorLogin).order_by(OperatorLogin.username)))


def update(
    session: Session,
    account: OperatorLogin,
    operator: str,
    *,
    new_role: str | None = None,
    active: bool | None = None,
    new_password: str | None = None,
) -> OperatorLogin:
    """Change an account's role, active flag or password; the last active admin cannot be removed."""
    changed = []
    if new_role is not None and role(new_role) != account.role:
        _keep_an_admin(session, account)
        account.role = role(new_role)
        changed.append(f"role {account.role}")
    if active is not None and active != account.active:
        if not active:
            _keep_an_admin(session, account)
        account.active = active
        changed.append("activated" if active else "deactivated")
    if new_password is not None:
        account.password_hash = hash_password(password(new_password))
        changed.append("password changed")
    if not changed:
        raise InvalidInput("nothing to change")
    if new_password is not None or not account.active:
        login_guard.end_sessions(session, account.id)  # whoever holds an old cookie is logged out
    session.flush()
    oplog.record(
        session, operator, "account.update", f"{account.username}: {', '.join(changed)}", entity_id=account.id
    )
    return account


def _keep_an_admin(session: Session, account: OperatorLogin) -> None:
    if account.role != ADMIN or not account.active:
        return
    admins = session.scalar(
        select(func.count())
        .select_from(OperatorLogin)
        .where(OperatorLogin.role == ADMIN, OperatorLogin.active.is_(True))
    )
    if (admins or 0) <= 1:
        raise InvalidInput(f"{account.username} is the last active admin: make another admin first")
