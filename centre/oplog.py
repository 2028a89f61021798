"""The operator log: who changed what, on a client or in the configuration."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import OperatorLog


def record(
    session: Session,
    operator: str,
    action: str,
    detail: str = "",
    *,
    client_id: int | None = None,
    entity_id: int | None = None,
) -> None:
    """Add one entry. Never put a secret in ``detail``."""
    session.add(
        OperatorLog(
            client_id=client_id,
            operator=operator,
            action=action,
            detail=detail,
            entity_id=entity_id,
        )
    )
