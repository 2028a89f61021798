"""The decommission policy page: admins set terminate-after-N-days only with the confirmation tick, clear
it, and see what decommission does and the pending terminations; bad input and operators change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from carriers import supersim
from centre import clients, sims
from centre.clients import ClientRef
from models import CommunicatorType, OperatorLog
from models.db import unit_of_work
from tests.web.fixtures import CLIENT, Browser, client_id, snapshot


def _comm_id() -> int:
    with unit_of_work() as session:
        return session.scalars(select(CommunicatorType.id).where(CommunicatorType.name == "Jasper")).one()


def _days() -> int | None:
    with unit_of_work() as session:
        comm = session.get(CommunicatorType, _comm_id())
        assert comm is not None
        return comm.terminate_after_days


def _path() -> str:
    return f"/admin/communicator-types/{_comm_id()}/decommission-policy"


def test_reachable_from_the_communicator_type_and_shows_what_decommission_does(admin: Browser) -> None:
    assert f'href="{_path()}"' in admin.page(f"/admin/communicator-types/{_comm_id()}")
    assert f'href="{_path()}">stop billing only</a>' in admin.page("/admin/communicator-types")
    page = admin.page(_path())
    assert "What decommission does on Cisco" in page
    assert "DEACTIVATED</span> on each SIM" in page
    assert "RETIRED</span>: ends the SIM" in page
    assert "decommission sets DEACTIVATED (stops billing); never terminates" in page
    assert "No termination is pending for Jasper." in page
    # The days field takes whole days only, in the browser too.
    assert 'type="number"' in page
    assert 'class="short" min="1" max="3650" step="1"' in page


def test_an_admin_sets_it_with_the_confirmation_then_clears_it(admin: Browser) -> None:
    admin.page(_path())
    answer = admin.post(_path(), {"terminate_after_days": "30", "confirm": "true"})
    assert answer.status_code == 303
    assert answer.headers["location"] == _path()
    page = admin.page(_path())
    assert "Jasper: decommission sets DEACTIVATED (stops billing); RETIRED 30 days later." in page  # flash
    assert 'value="30"' in page
    assert _days() == 30
    with unit_of_work() as session:
        logged = session.scalars(select(OperatorLog).where(OperatorLog.action == "communicator_type.policy"))
        assert [row.operator for row in logged] == ["alice"]

    assert admin.post(_path() + "/clear").status_code == 303
    assert "never terminates" in admin.page(_path())
    assert _days() is None


@pytest.mark.parametrize(
    ("days", "confirm", "message"),
    [
        ("30", "", "terminating a SIM cannot be undone: confirm"),
        ("0", "true", "terminate after must be from 1 to 3650 days, not 0"),
        ("3651", "true", "terminate after must be from 1 to 3650 days, not 3651"),
        ("-5", "true", "terminate after must be from 1 to 3650 days, not -5"),
        ("ten", "true", "terminate after must be a whole number, not &#39;ten&#39;"),
        ("", "true", "terminate after must be a whole number, not &#39;&#39;"),
        ("1e3", "true", "terminate after must be a whole number"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(
    admin: Browser, days: str, confirm: str, message: str
) -> None:
    admin.page(_path())
    before = snapshot()
    answer = admin.post(_path(), {"terminate_after_days": days, "confirm": confirm})
    assert answer.status_code == 422
    assert message in answer.text
    assert 'class="field-error"' in answer.text  # beside the field it is about
    assert snapshot() == before


def test_a_platform_that_cannot_terminate_offers_no_form_and_refuses_a_crafted_one(admin: Browser) -> None:
    with unit_of_work() as session:
        comm = session.get(CommunicatorType, _comm_id())
        assert comm is not None
        comm.kind = supersim.KIND
    page = admin.page(_path())
    assert "inactive</span> on each SIM" in page
    assert "API cannot terminate a SIM" in page
    assert 'id="policy-form"' not in page
    before = snapshot()
    answer = admin.post(_path(), {"terminate_after_days": "30", "confirm": "true"})
    assert answer.status_code == 422
    assert "cannot terminate a SIM: its API does not offer it" in answer.text
    assert snapshot() == before


def test_pending_terminations_are_listed_with_their_client(admin: Browser) -> None:
    admin.page(_path())
    assert admin.post(_path(), {"terminate_after_days": "90", "confirm": "true"}).status_code == 303
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(CLIENT))
        iccid = sims.of_client(session, client)[0].iccid
        clients.decommission(session, client, "test", "moved out")
    page = admin.page(_path())
    assert f'<td class="iccid">{iccid}</td>' in page
    assert f'<a href="/clients/{client_id()}">{CLIENT}</a>' in page
    assert "No termination is pending" not in page

    assert admin.post(_path() + "/clear").status_code == 303  # cleared: nothing pending any more
    assert iccid not in admin.page(_path())


def test_an_operator_is_refused_even_with_a_crafted_post(operator: Browser, admin: Browser) -> None:
    assert operator.http.get(_path()).status_code == 403
    admin.page(_path())
    assert admin.post(_path(), {"terminate_after_days": "30", "confirm": "true"}).status_code == 303
    operator.page("/clients")
    before = snapshot()
    for path, form in [
        (_path(), {"terminate_after_days": "60", "confirm": "true"}),
        (_path() + "/clear", {}),
    ]:
        answer = operator.post(path, form)
        assert answer.status_code == 403, path
        assert "for admins" in answer.text
    assert snapshot() == before
    assert _days() == 30


def test_an_unknown_communicator_type_is_a_404(admin: Browser) -> None:
    assert admin.http.get("/admin/communicator-types/999/decommission-policy").status_code == 404
    admin.page("/admin")
    before = snapshot()
    answer = admin.post("/admin/communicator-types/999/decommission-policy", {"terminate_after_days": "5"})
    assert answer.status_code == 404
    assert "no communicator type 999" in answer.text
    assert snapshot() == before
