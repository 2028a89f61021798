"""System-wide settings stored in the database: defaults, validation, and the operator log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import system_settings
from centre.errors import InvalidInput, NotFound
from models import OperatorLog, SystemSetting
from models.db import unit_of_work
from pipeline.outbox import Message
from tests import factories as f


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    """A unit of work on SQLite only, for rules that do not depend on the backend."""
    with unit_of_work() as s:
        yield s


def test_every_setting_has_its_default_until_set(db: Session) -> None:
    assert system_settings.all_settings(db) == {
        system_settings.DEFAULT_COMMISSION_ON_CREATE: "false",
        system_settings.DEFAULT_ACTION_PLAN: "",
        system_settings.NEW_CLIENT_TEMPLATE: "",
        system_settings.TIME_ZONE: "UTC",
        system_settings.PANEL_REPORT_WINDOW_S: "1800",
    }
    assert system_settings.get_bool(db, system_settings.DEFAULT_COMMISSION_ON_CREATE) is False


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("true", "true"),
        (" YES ", "true"),
        ("on", "true"),
        ("1", "true"),
        ("False", "false"),
        ("off", "false"),
    ],
)
def test_yes_no_settings_are_stored_canonically(db: Session, given: str, stored: str) -> None:
    assert (
        system_settings.set_value(db, system_settings.DEFAULT_COMMISSION_ON_CREATE, given, "alice") == stored
    )

    assert system_settings.get(db, system_settings.DEFAULT_COMMISSION_ON_CREATE) == stored
    assert system_settings.get_bool(db, system_settings.DEFAULT_COMMISSION_ON_CREATE) is (stored == "true")


def test_set_value_replaces_the_stored_value_and_logs_who_did_it(db: Session) -> None:
    system_settings.set_value(db, system_settings.DEFAULT_COMMISSION_ON_CREATE, "true", "alice")
    system_settings.set_value(db, system_settings.DEFAULT_COMMISSION_ON_CREATE, "false", "bob")

    stored = db.scalars(select(SystemSetting)).all()
    assert [(s.name, s.value) for s in stored] == [(system_settings.DEFAULT_COMMISSION_ON_CREATE, "false")]
    log = db.scalars(select(OperatorLog).order_by(OperatorLog.id)).all()
    assert [(e.operator, e.action, e.detail) for e in log] == [
        ("alice", "setting.set", "default_commission_date_to_current_time = 'true'"),
        ("bob", "setting.set", "default_commission_date_to_current_time = 'false'"),
    ]


def test_a_value_that_is_not_yes_or_no_is_refused(db: Session) -> None:
    with pytest.raises(InvalidInput, match="'maybe' is not a yes/no value"):
        system_settings.set_value(db, system_settings.DEFAULT_COMMISSION_ON_CREATE, "maybe", "alice")

    assert f.row_counts(db)["system_setting"] == 0
    assert f.row_counts(db)["operator_log"] == 0


def test_an_unknown_setting_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound, match="no setting named 'colour'; known settings: "):
        system_settings.set_value(db, "colour", "blue", "alice")
    with pytest.raises(NotFound):
        system_settings.get(db, "colour")


def test_the_default_action_plan_must_exist(db: Session) -> None:
    with pytest.raises(NotFound, match="no action plan named 'Alarm'"):
        system_settings.set_value(db, system_settings.DEFAULT_ACTION_PLAN, "Alarm", "alice")

    f.action_plan(db, "Alarm")
    assert system_settings.set_value(db, system_settings.DEFAULT_ACTION_PLAN, " Alarm ", "alice") == "Alarm"
    assert system_settings.set_value(db, system_settings.DEFAULT_ACTION_PLAN, "", "alice") == ""


def test_the_new_client_template_must_be_a_template_account(db: Session) -> None:
    f.client(db, "PLAIN")
    f.client(db, "TPL", is_template=True)

    with pytest.raises(NotFound, match="no template account with code 'PLAIN'"):
        system_settings.set_value(db, system_settings.NEW_CLIENT_TEMPLATE, "PLAIN", "alice")
    assert system_settings.set_value(db, system_settings.NEW_CLIENT_TEMPLATE, "TPL", "alice") == "TPL"
