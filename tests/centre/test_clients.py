"""Clients: create, commission and decommission (with base and linked areas), add-on devices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import clients, system_settings
from centre.clients import ClientRef
from centre.errors import Conflict, InvalidInput, NotFound
from models import AddonDevice, Client, CommunicatorType, OperatorLog, SignalSource
from models.db import unit_of_work
from pipeline import system_events
from pipeline.outbox import Message
from tests import factories as f

COMMISSIONED = system_events.CLIENT_COMMISSIONED
DECOMMISSIONED = system_events.CLIENT_DECOMMISSIONED


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    """A unit of work on SQLite only, for rules that do not depend on the backend."""
    with unit_of_work() as s:
        yield s


def _oplog(session: Session, client: Client) -> list[tuple[str, str, str]]:
    rows = session.scalars(
        select(OperatorLog).where(OperatorLog.client_id == client.id).order_by(OperatorLog.id)
    )
    return [(r.operator, r.action, r.detail) for r in rows]


# -- commission and decommission -----------------------------------------------------------------------


def test_commission_sets_the_date_and_logs_65516_which_fires_activate(session: Session) -> None:
    client = f.seeded_client(session, "C1", 1)
    client.offline = True

    logged = clients.commission(session, client, "alice", memo="new install")

    assert client.commissioned_at is not None
    assert client.offline is False
    (signal,) = f.signals(session, client)
    assert logged == [signal]
    assert (signal.type_no, signal.description, signal.source) == (
        COMMISSIONED,
        "Client Commissioned",
        SignalSource.AUTO,
    )
    assert (signal.operator, signal.memo) == ("alice", "new install")
    (execution,) = f.executions(session, client)
    assert (execution.signal_id, execution.options) == (signal.id, {"command_type": "Activate"})
    assert execution.target["iccid"] == f.iccid(1)
    assert ("alice", "client.commission", "new install") in _oplog(session, client)


def test_decommission_sets_date_reason_offline_and_logs_65517_which_fires_deactivate(
    db: Session,
) -> None:
    client = f.seeded_client(db, "C1", 1)

    clients.decommission(db, client, "bob", " moved away ", offline=True)

    assert client.decommissioned_at is not None
    assert (client.decommission_reason, client.offline) == ("moved away", True)
    (signal,) = f.signals(db, client)
    assert (signal.type_no, signal.memo, signal.operator) == (DECOMMISSIONED, "moved away", "bob")
    (execution,) = f.executions(db, client)  # offline, but 65517 still runs its task
    assert execution.options == {"command_type": "Deactivate"}
    assert ("bob", "client.decommission", "reason: moved away; taken offline") in _oplog(db, client)


def test_decommission_without_offline_leaves_the_client_online(db: Session) -> None:
    client = f.seeded_client(db, "C1", 1)

    clients.decommission(db, client, "bob", "paused")

    assert client.offline is False
    assert ("bob", "client.decommission", "reason: paused") in _oplog(db, client)


@pytest.mark.parametrize("reason", ["", "   ", "two\nlines", "x" * 501])
def test_decommission_needs_a_single_line_reason(db: Session, reason: str) -> None:
    client = f.seeded_client(db, "C1", 1)
    before = f.row_counts(db)

    with pytest.raises(InvalidInput, match="decommission reason"):
        clients.decommission(db, client, "bob", reason)

    assert f.row_counts(db) == before
    assert client.decommissioned_at is None


def test_templates_cannot_be_commissioned_or_decommissioned(db: Session) -> None:
    template = f.client(db, "TPL", is_template=True)
    before = f.row_counts(db)

    with pytest.raises(InvalidInput, match="template"):
        clients.commission(db, template, "alice")
    with pytest.raises(InvalidInput, match="template"):
        clients.decommission(db, template, "alice", "no")

    assert f.row_counts(db) == before
    assert (template.commissioned_at, template.decommissioned_at) == (None, None)


# -- base and linked areas -------------------------------------------------------------------------------


def _base_with_areas(session: Session) -> dict[str, Client]:
    """Base B (SIM 1); linked area 2 (SIM 2); linked area 3 (no SIM of its own); unlinked area 4 (SIM 4)."""
    base = f.seeded_client(session, "B", 1)
    linked2 = f.client(session, "B", area=2, base=ClientRef("B", area=1))
    linked3 = f.client(session, "B", area=3, base=ClientRef("B", area=1))
    alone4 = f.client(session, "B", area=4)
    alone4.base_client_id = base.id  # an area of B that is not linked to it
    f.sims(session, linked2, 2)
    f.sims(session, alone4, 4)
    session.flush()
    return {"base": base, "linked2": linked2, "linked3": linked3, "alone4": alone4}


def test_commissioning_an_area_commissions_the_base_and_every_linked_area(db: Session) -> None:
    family = _base_with_areas(db)

    logged = clients.commission(db, family["linked2"], "alice")

    changed = [family[k] for k in ("base", "linked2", "linked3")]
    assert all(c.commissioned_at is not None for c in changed)
    assert family["alone4"].commissioned_at is None
    assert [s.client_id for s in logged] == [c.id for c in changed]
    for member in changed:
        assert [s.type_no for s in f.signals(db, member)] == [COMMISSIONED]
    assert f.signals(db, family["alone4"]) == []


def test_each_sim_of_a_family_is_switched_exactly_once(session: Session) -> None:
    """Area 2 expands to SIM 2 and the base's SIM 1, which the base reached first: one execution each."""
    family = _base_with_areas(session)

    clients.commission(session, family["linked3"], "alice")

    keys = Counter(e.target_key for e in f.executions(session))
    assert keys == {f"sim:{f.iccid(1)}": 1, f"sim:{f.iccid(2)}": 1}


def test_decommissioning_the_base_decommissions_its_linked_areas(db: Session) -> None:
    family = _base_with_areas(db)

    clients.decommission(db, family["base"], "bob", "contract ended", offline=True)

    for key in ("base", "linked2", "linked3"):
        member = family[key]
        assert (member.decommission_reason, member.offline) == ("contract ended", True), key
        assert [s.type_no for s in f.signals(db, member)] == [DECOMMISSIONED]
    assert family["alone4"].decommissioned_at is None
    assert Counter(e.target_key for e in f.executions(db)) == {
        f"sim:{f.iccid(1)}": 1,
        f"sim:{f.iccid(2)}": 1,
    }


def test_an_unlinked_area_changes_alone(db: Session) -> None:
    family = _base_with_areas(db)

    logged = clients.commission(db, family["alone4"], "alice")

    assert [s.client_id for s in logged] == [family["alone4"].id]
    assert family["alone4"].commissioned_at is not None
    assert all(family[k].commissioned_at is None for k in ("base", "linked2", "linked3"))
    assert f"sim:{f.iccid(4)}" in {e.target_key for e in f.executions(db)}


# -- creating clients -------------------------------------------------------------------------------------


def test_default_commission_on_create_commissions_and_logs_65516(db: Session) -> None:
    f.seeded_client(db, "FIRST")
    system_settings.set_value(db, system_settings.DEFAULT_COMMISSION_ON_CREATE, "true", f.OPERATOR)

    client = clients.add(db, "C2", "New client", "alice")

    assert client.commissioned_at is not None
    (signal,) = f.signals(db, client)
    assert (signal.type_no, signal.operator) == (COMMISSIONED, "alice")
    assert "system-wide setting" in signal.memo
    # No SIM yet: the execution exists and fails visibly instead of being skipped.
    (execution,) = f.executions(db, client)
    assert "no add-on device with a Jasper communicator type" in execution.target["error"]


def test_without_the_setting_a_new_client_is_not_commissioned(db: Session) -> None:
    f.seeded_client(db, "FIRST")

    client = clients.add(db, "C2", "New client", "alice")

    assert client.commissioned_at is None
    assert f.signals(db, client) == []
    assert ("alice", "client.add", "created C2: New client") in _oplog(db, client)


def test_a_new_template_is_not_commissioned_even_with_the_setting(db: Session) -> None:
    system_settings.set_value(db, system_settings.DEFAULT_COMMISSION_ON_CREATE, "yes", f.OPERATOR)

    template = clients.add(db, "TPL", "Template", "alice", is_template=True)

    assert template.commissioned_at is None
    assert f.signals(db, template) == []


def test_new_clients_take_the_configured_template(db: Session) -> None:
    template = f.client(db, "TPL", is_template=True)
    system_settings.set_value(db, system_settings.NEW_CLIENT_TEMPLATE, "TPL", f.OPERATOR)

    assert f.client(db, "C1").template_id == template.id
    assert f.client(db, "C2", template_code="").template_id is None


def test_an_unknown_template_is_not_found(db: Session) -> None:
    f.client(db, "NOTTPL")  # a client, not a template

    with pytest.raises(NotFound, match="NOTTPL"):
        f.client(db, "C1", template_code="NOTTPL")


def test_duplicate_code_area_and_port_is_a_conflict(session: Session) -> None:
    f.client(session, "C1")
    f.client(session, "C1", area=2)
    f.client(session, "C1", port="2")

    with pytest.raises(Conflict, match="C1 area 2 port 1 already exists"):
        f.client(session, "C1", area=2)


def test_a_conflict_leaves_the_unit_of_work_usable(db: Session) -> None:
    f.client(db, "C1")
    before = f.row_counts(db)

    with pytest.raises(Conflict):
        f.client(db, "C1")

    assert f.row_counts(db) == before  # e.g. a form re-rendered, or an import skipping the duplicate


@pytest.mark.parametrize("code", ["", "   ", "A" * 17, "-C1", "C 1", "C1!", "Ç1"])
def test_bad_client_codes_are_invalid_input(db: Session, code: str) -> None:
    with pytest.raises(InvalidInput, match="client code"):
        clients.add(db, code, "Name", "alice")

    assert f.row_counts(db)["client"] == 0


def test_a_sixteen_character_code_is_accepted(db: Session) -> None:
    assert f.client(db, " " + "A" * 16 + " ").client_code == "A" * 16


def test_find_names_one_client_or_says_why_not(db: Session) -> None:
    one = f.client(db, "ONE")
    f.client(db, "TWO")
    second_area = f.client(db, "TWO", area=2)

    assert clients.find(db, ClientRef("ONE")) == one
    assert clients.find(db, ClientRef("TWO", area=2)) == second_area
    with pytest.raises(InvalidInput, match="several areas"):
        clients.find(db, ClientRef("TWO"))
    with pytest.raises(NotFound, match="NOPE"):
        clients.find(db, ClientRef("NOPE"))


# -- devices ----------------------------------------------------------------------------------------------


def test_a_device_stores_the_cleaned_iccid(db: Session) -> None:
    client = f.seeded_client(db, "C1")
    spaced = " ".join([f.iccid(7)[:10], f.iccid(7)[10:]])

    device = clients.add_device(db, client, "Jasper", spaced, "alice")

    assert device.device_ref_no == f.iccid(7)
    assert [(d.device_ref_no, c.name) for d, c in clients.devices(db, client)] == [(f.iccid(7), "Jasper")]


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("898821671697000001", "19 or 20 digits"),  # 18 digits
        ("8988216716970000ABC1", "19 or 20 digits"),
        ("", "19 or 20 digits"),
        ("WRONG_CHECK_DIGIT", "19 or 20 digits"),
    ],
)
def test_a_malformed_iccid_is_invalid_input(db: Session, ref: str, message: str) -> None:
    client = f.seeded_client(db, "C1")

    with pytest.raises(InvalidInput, match=message):
        clients.add_device(db, client, "Jasper", ref, "alice")

    assert db.scalars(select(AddonDevice)).all() == []


def test_an_iccid_with_a_wrong_check_digit_is_invalid_input(db: Session) -> None:
    client = f.seeded_client(db, "C1")
    good = f.iccid(1)
    typo = good[:-1] + str((int(good[-1]) + 1) % 10)

    with pytest.raises(InvalidInput, match="Luhn"):
        clients.add_device(db, client, "Jasper", typo, "alice")


def test_an_unknown_communicator_type_is_not_found(db: Session) -> None:
    client = f.seeded_client(db, "C1")

    with pytest.raises(NotFound, match="Telstra"):
        clients.add_device(db, client, "Telstra", f.iccid(1), "alice")


def test_the_same_iccid_on_two_clients_is_a_conflict(session: Session) -> None:
    first = f.seeded_client(session, "C1", 1)
    second = f.client(session, "C2")
    before = f.row_counts(session)

    with pytest.raises(Conflict, match=f"{f.iccid(1)} is already on client C1"):
        clients.add_device(session, second, "Jasper", f.iccid(1), "alice")
    with pytest.raises(Conflict):
        clients.add_device(session, first, "Jasper", f.iccid(1), "alice")

    assert f.row_counts(session) == before


def test_the_same_iccid_under_another_jasper_communicator_type_is_a_conflict(db: Session) -> None:
    f.seeded_client(db, "C1", 1)
    f.jasper_type(db, "Jasper second account")
    second = f.client(db, "C2")

    with pytest.raises(Conflict):
        clients.add_device(db, second, "Jasper second account", f.iccid(1), "alice")


def test_a_client_without_jasper_devices_gets_a_failing_execution(db: Session) -> None:
    client = f.seeded_client(db, "C1")
    other = CommunicatorType(
        name="Radio", kind="radio", server_address="https://r.test/api", user_name="u", api_key_encrypted="x"
    )
    db.add(other)
    db.flush()
    db.add(AddonDevice(client_id=client.id, communicator_type_id=other.id, device_ref_no="R-1"))

    clients.commission(db, client, "alice")

    (execution,) = f.executions(db, client)
    assert execution.target_key is None
    assert execution.target["error"] == (
        "client C1 has no add-on device with a Jasper communicator type: nothing to switch"
    )


def test_an_empty_device_ref_no_gets_a_failing_execution_next_to_the_good_sim(db: Session) -> None:
    client = f.seeded_client(db, "C1", 1)
    empty = f.device_without_ref(db, client)

    clients.commission(db, client, "alice")

    by_key = {e.target_key: e.target for e in f.executions(db, client)}
    assert by_key[f"sim:{f.iccid(1)}"]["iccid"] == f.iccid(1)
    assert "has no Device Ref No" in by_key[None]["error"]
    assert by_key[None]["addon_device_id"] == empty.id


def test_search_finds_clients_by_code_or_name_but_not_templates(db: Session) -> None:
    f.client(db, "ALPHA")
    clients.add(db, "B2", "Alphabet shop", "alice")
    f.client(db, "ALPHATPL", is_template=True)

    assert [c.client_code for c in clients.search(db, "alpha")] == ["ALPHA", "B2"]
