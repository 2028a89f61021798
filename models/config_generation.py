"""The configuration's generation: a token that changes whenever what plan resolution reads changes.

Every process caches what it resolves from the configuration (event types, plans, tasks, carrier
accounts) under the generation it read; a commit that changes any of it writes a new token in the same
transaction, so the next unit of work anywhere sees the new token and resolves afresh. The token is
random rather than a counter so that two databases (a test's, a restored backup) never share one
with different contents.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import BigInteger, Integer, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from models.action_plan import ActionPlan
from models.base import Base
from models.client import Client
from models.communicator_type import CommunicatorType
from models.event_type import EventType
from models.response_override import ResponseOverride
from models.response_plan import ResponsePlan
from models.response_plan_entry import ResponsePlanEntry
from models.system_setting import SystemSetting
from models.task import Task
from models.task_assignment import TaskAssignment
from models.zone import Zone

ROW_ID = 1

# What resolution and the workers read as configuration. A client is configuration only through its
# place in a template chain (its own row is always read fresh).
CONFIGURATION = (
    ActionPlan,
    CommunicatorType,
    EventType,
    ResponseOverride,
    ResponsePlan,
    ResponsePlanEntry,
    SystemSetting,
    Task,
    TaskAssignment,
    Zone,
)

_CHANGED = "commissioner.configuration_changed"
_READ = "commissioner.configuration_generation"


class ConfigGeneration(Base):
    """One row: the current configuration generation (see the module's docstring)."""

    __tablename__ = "config_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


def new_token() -> int:
    return secrets.randbits(62)


def current(session: Session) -> int | None:
    """The generation the session's transaction reads the configuration under, read once per transaction.

    None when caches must not be used: the transaction has changed the configuration itself (what it
    sees is not committed, and may never be), or the database has no generation row.
    """
    if session.info.get(_CHANGED):
        return None
    if _READ not in session.info:
        session.info[_READ] = session.scalar(
            select(ConfigGeneration.value).where(ConfigGeneration.id == ROW_ID)
        )
    token: int | None = session.info[_READ]
    return token


def _touches_configuration(obj: Any, deleted: bool) -> bool:
    if isinstance(obj, CONFIGURATION):
        return True
    if isinstance(obj, Client):
        return deleted or inspect(obj).attrs.template_id.history.has_changes()
    return False


@event.listens_for(Session, "before_flush")
def _bump_on_change(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_CHANGED):
        return  # one new token per transaction is enough: the row stays locked until commit
    changed = [obj for obj in session.new if isinstance(obj, CONFIGURATION)]
    changed += [
        obj for obj in session.dirty if session.is_modified(obj) and _touches_configuration(obj, False)
    ]
    changed += [obj for obj in session.deleted if _touches_configuration(obj, True)]
    if not changed:
        return
    session.info[_CHANGED] = True
    # Core, on the session's connection: an ORM statement here would autoflush into this very flush.
    session.connection().execute(
        update(ConfigGeneration).where(ConfigGeneration.id == ROW_ID).values(value=new_token())
    )


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint within it
        session.info.pop(_CHANGED, None)
        session.info.pop(_READ, None)
