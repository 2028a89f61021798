"""Webhook endpoints: where signals are POSTed, and the secret that signs them (never shown again)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import oplog
from centre.errors import Conflict, InvalidInput, NotFound
from config import get_config, secrets
from models import Task, TaskAssignment, WebhookEndpoint, utcnow

__all__ = ["WebhookEndpoint"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_SECRET = 16
TASK_TYPE = "webhook"  # the task type that POSTs to endpoints (task_type.py, which imports this module)


def name(value: str) -> str:
    """An endpoint's name: 1 to 64 letters, digits, '.', '-' or '_'."""
    cleaned = value.strip()
    if not _NAME.fullmatch(cleaned):
        raise InvalidInput(f"endpoint name {value[:70]!r} must be 1 to 64 letters, digits, '.', '-' or '_'")
    return cleaned


def address(value: str) -> str:
    """An https:// address (http:// only where COMMISSIONER_ALLOW_INSECURE_CARRIERS allows it)."""
    cleaned = value.strip()
    if len(cleaned) > 500:
        raise InvalidInput("the webhook address must be at most 500 characters")
    try:
        parts = urlsplit(cleaned)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise InvalidInput(f"webhook address {cleaned[:80]!r} is not a valid address") from None
    allowed = ("https", "http") if get_config().allow_insecure_carriers else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise InvalidInput(f"webhook address {cleaned[:80]!r} must be an https:// address with a host")
    if parts.username or parts.password:
        raise InvalidInput("the webhook address must not carry a user name or password")
    return cleaned


def secret(value: str) -> str:
    cleaned = value.strip()
    if len(cleaned) < MIN_SECRET or len(cleaned) > 512:
        raise InvalidInput(f"the webhook secret must be {MIN_SECRET} to 512 characters")
    return cleaned


def set_endpoint(
    session: Session, endpoint_name: str, url: str, shared_secret: str, operator: str
) -> WebhookEndpoint:
    """Add or replace endpoint ``endpoint_name``; the secret is stored encrypted."""
    clean_name, clean_url, clean_secret = name(endpoint_name), address(url), secret(shared_secret)
    row = session.get(WebhookEndpoint, clean_name)
    if row is None:
        row = WebhookEndpoint(name=clean_name)
        session.add(row)
    row.url = clean_url
    row.secret_encrypted = secrets.encrypt(clean_secret)
    row.updated_at = utcnow()
    session.flush()
    oplog.record(session, operator, "webhook.set", f"endpoint {row.name}: {row.url}")
    return row


def add_endpoint(
    session: Session, endpoint_name: str, url: str, shared_secret: str, operator: str
) -> WebhookEndpoint:
    """Add a new endpoint; Conflict if the name is taken (``set_endpoint`` replaces one)."""
    clean_name = name(endpoint_name)
    if session.get(WebhookEndpoint, clean_name) is not None:
        raise Conflict(
            f"a webhook endpoint named {clean_name!r} exists already: change it, or choose another name"
        )
    return set_endpoint(session, clean_name, url, shared_secret, operator)


def update_endpoint(
    session: Session, endpoint_name: str, url: str, shared_secret: str | None, operator: str
) -> WebhookEndpoint:
    """Change an endpoint's address and/or secret (None keeps the stored secret).

    A new address needs the secret again, as a carrier's key does: whoever can move an endpoint
    without knowing its secret could otherwise collect bodies signed with it elsewhere.
    """
    row = get(session, endpoint_name)
    clean_url = address(url)
    if shared_secret is not None:
        return set_endpoint(session, row.name, clean_url, shared_secret, operator)
    if clean_url != row.url:
        raise InvalidInput(
            "a new address needs the webhook secret again: give the secret the receiver there checks"
        )
    return row


def usage(session: Session) -> dict[str, int]:
    """How many task assignments of webhook tasks name each endpoint (an endpoint in use must not vanish
    unnoticed: its deliveries then fail)."""
    rows = session.scalars(
        select(TaskAssignment.options)
        .join(Task, Task.id == TaskAssignment.task_id)
        .where(Task.type == TASK_TYPE)
    )
    counts: dict[str, int] = {}
    for options in rows:
        endpoint = options.get("endpoint") if isinstance(options, dict) else None
        if isinstance(endpoint, str):
            counts[endpoint] = counts.get(endpoint, 0) + 1
    return counts


def get(session: Session, endpoint_name: str) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_name.strip())
    if row is None:
        raise NotFound(f"no webhook endpoint named {endpoint_name[:70]!r}")
    return row


def remove(session: Session, endpoint_name: str, operator: str) -> None:
    row = get(session, endpoint_name)
    session.delete(row)
    session.flush()
    oplog.record(session, operator, "webhook.remove", f"endpoint {row.name}")


def list_all(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name)))


def rotate_keys(session: Session) -> int:
    """Re-encrypt every webhook secret under the newest encryption key; returns how many."""
    rows = list_all(session)
    for row in rows:
        row.secret_encrypted = secrets.rotate(row.secret_encrypted)
    session.flush()
    return len(rows)
