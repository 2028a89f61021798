"""The Jasper task type: its options, the SIMs a firing acts on, and the registry it plugs into."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from carriers.control_center_rest import PLATFORM
from centre import clients
from centre.clients import ClientRef
from centre.errors import InvalidInput
from features.commissioning.task_type import JasperTaskType, wanted_state
from models import AddonDevice, CommunicatorType
from models.db import unit_of_work
from pipeline import task_types
from pipeline.outbox import Message
from tests import factories as f

JASPER = JasperTaskType()


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    """A unit of work on SQLite only, for rules that do not depend on the backend."""
    with unit_of_work() as s:
        yield s


@pytest.mark.parametrize(
    ("options", "command"),
    [
        ({"Command Type": "Activate"}, "Activate"),
        ({"command_type": " deactivate "}, "Deactivate"),
        ({"command_type": "ACTIVATE", "Command Type": "Deactivate"}, "Activate"),
    ],
)
def test_command_type_options_are_made_canonical(options: dict[str, object], command: str) -> None:
    assert JASPER.validate_options(options) == {"command_type": command}


@pytest.mark.parametrize(
    "options", [{}, {"command_type": "Reboot"}, {"command_type": 1}, {"Command": "Activate"}]
)
def test_other_command_types_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(InvalidInput, match="Command Type must be Activate or Deactivate"):
        JASPER.validate_options(options)


def test_wanted_status_follows_the_command() -> None:
    assert PLATFORM.status_for(wanted_state({"command_type": "Activate"})) == "ACTIVATED"
    assert PLATFORM.status_for(wanted_state({"command_type": "Deactivate"})) == "DEACTIVATED"


def test_describe_names_the_command_and_sim() -> None:
    assert JASPER.describe({"command_type": "Activate"}, {"iccid": "8901"}) == "Jasper Activate SIM 8901"
    assert JASPER.describe({"command_type": "Deactivate"}, {"error": "no SIM"}) == "Jasper Deactivate"


def test_expand_gives_one_target_per_jasper_sim(db: Session) -> None:
    client = f.seeded_client(db, "C1", 1, 2)

    targets = JASPER.expand(db, client, {"command_type": "Activate"})

    assert [(t.key, t.data["iccid"], t.error) for t in targets] == [
        (f"sim:{f.iccid(1)}", f.iccid(1), None),
        (f"sim:{f.iccid(2)}", f.iccid(2), None),
    ]
    assert {t.data["communicator_type_id"] for t in targets} == {c.id for _, c in clients.devices(db, client)}


def test_an_area_acts_on_its_own_sims_then_its_bases(db: Session) -> None:
    base = f.seeded_client(db, "B", 1)
    area = f.client(db, "B", area=2, base=ClientRef("B", area=1))
    f.sims(db, area, 2)

    targets = JASPER.expand(db, area, {"command_type": "Activate"})

    assert [t.key for t in targets] == [f"sim:{f.iccid(2)}", f"sim:{f.iccid(1)}"]
    assert [t.key for t in JASPER.expand(db, base, {})] == [f"sim:{f.iccid(1)}"]


def test_devices_of_other_communicator_kinds_are_ignored(db: Session) -> None:
    client = f.seeded_client(db, "C1", 1)
    radio = CommunicatorType(
        name="Radio", kind="radio", server_address="https://r.test/api", user_name="u", api_key_encrypted="x"
    )
    db.add(radio)
    db.flush()
    db.add(AddonDevice(client_id=client.id, communicator_type_id=radio.id, device_ref_no="R-1"))
    db.flush()

    assert [t.key for t in JASPER.expand(db, client, {})] == [f"sim:{f.iccid(1)}"]


def test_no_jasper_device_is_one_error_target(db: Session) -> None:
    client = f.seeded_client(db, "C1")

    (target,) = JASPER.expand(db, client, {})

    assert target.key is None
    assert target.error is not None
    assert "client C1 has no add-on device with a Jasper communicator type" in target.error


def test_a_device_without_device_ref_no_is_an_error_target(db: Session) -> None:
    client = f.seeded_client(db, "C1")
    device = f.device_without_ref(db, client)

    (target,) = JASPER.expand(db, client, {})

    assert target.key is None
    assert target.error is not None
    assert f"add-on device {device.id} (communicator type Jasper) has no Device Ref No" in target.error
    assert target.data["addon_device_id"] == device.id


def test_the_registry_knows_jasper_and_refuses_unknown_types() -> None:
    task_type = task_types.get("jasper")

    assert (task_type.name, task_type.celery_task, task_type.queue) == (
        "jasper",
        "jasper.set_sim_status",
        "jasper",
    )
    with pytest.raises(InvalidInput, match="unknown task type 'email'; known types: jasper"):
        task_types.get("email")
