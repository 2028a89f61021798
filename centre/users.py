"""Response-plan users: the people and robots (such as the global "Jasper" user) a response plan calls.

Not login accounts: those are in centre/logins.py.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import oplog, validation
from centre.errors import Conflict, NotFound
from models import User


def list_all(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.name)))


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def get_by_name(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name.strip()))
    if user is None:
        raise NotFound(f"no user named {name.strip()[:100]!r}")
    return user


def _unique_name(session: Session, name: str, user_id: int | None = None) -> str:
    name = validation.required_text(name, "user name", 100)
    found = session.scalar(select(User.id).where(User.name == name))
    if found is not None and found != user_id:
        raise Conflict(f"a user named {name!r} already exists")
    return name


def add(session: Session, name: str, operator: str, *, is_global: bool = True) -> User:
    """Create a user that response plans can list."""
    user = User(name=_unique_name(session, name), is_global=is_global)
    session.add(user)
    session.flush()
    oplog.record(session, operator, "user.add", user.name, entity_id=user.id)
    return user


def update(session: Session, user: User, operator: str, *, name: str, is_global: bool) -> User:
    """Rename a user or change whether it is global."""
    user.name, user.is_global = _unique_name(session, name, user.id), is_global
    session.flush()
    oplog.record(
        session,
        operator,
        "user.update",
        f"{user.name} ({'global' if is_global else 'local'})",
        entity_id=user.id,
    )
    return user
