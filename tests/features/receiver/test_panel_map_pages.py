"""The panel event map page: everyone reads it, admins add, change and remove rows (mapping.py's rules,
as the command line), bad input changes nothing, and an operator's crafted POST is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from features.receiver import mapping
from models import OperatorLog, PanelEventCode
from models.db import unit_of_work
from tests.web.fixtures import Browser, client_id, snapshot

PAGE = "/panel-map"


def _seed() -> None:
    with unit_of_work() as session:
        mapping.ensure_defaults(session)


def _rows() -> dict[tuple[str, str], tuple[int, int | None, str, bool]]:
    with unit_of_work() as session:
        return {
            (r.protocol, r.code): (r.type_no, r.zone, r.description, r.test_report)
            for r in session.scalars(select(PanelEventCode))
        }


def test_operators_read_the_map_without_any_form(operator: Browser) -> None:
    page = operator.page(PAGE)
    assert "The map is empty" in page
    assert "/panel-map/seed" not in page
    _seed()
    page = operator.page(PAGE)
    assert '<tr id="map-sia-BA">' in page
    assert "Burglary alarm" in page
    assert "restore, event 130" in page  # Contact ID 3130, its qualifier explained
    assert "yes: resets the test timer" in page  # RP and 1602
    assert '<form method="post" action="/panel-map' not in page
    assert "Remove" not in page
    assert 'href="/panel-map"' in operator.page(f"/clients/{client_id()}/receiver")


def test_admins_find_it_in_configuration_and_seed_an_empty_map(admin: Browser) -> None:
    assert 'href="/panel-map"' in admin.page("/admin")
    admin.page(PAGE)
    assert admin.post(PAGE + "/seed").status_code == 303
    assert f"{len(mapping.DEFAULTS)} common codes added." in admin.page(PAGE)
    assert len(_rows()) == len(mapping.DEFAULTS)
    assert admin.post(PAGE + "/seed").status_code == 303
    assert "The map is not empty: nothing added." in admin.page(PAGE)
    assert len(_rows()) == len(mapping.DEFAULTS)


def test_an_admin_adds_a_row_and_the_common_codes_come_with_the_first(admin: Browser) -> None:
    admin.page(PAGE)
    form = {
        "protocol": "cid",
        "code": "1570",
        "type_no": "570",
        "zone": "7",
        "description": "Zone bypass",
        "test_report": "",
    }
    assert admin.post(PAGE, form).status_code == 303
    page = admin.page(PAGE)
    assert "CID 1570 is logged as type 570." in page
    assert '<tr id="map-cid-1570">' in page
    rows = _rows()
    assert rows[("cid", "1570")] == (570, 7, "Zone bypass", False)
    assert len(rows) == len(mapping.DEFAULTS) + 1
    with unit_of_work() as session:
        logged = session.scalars(
            select(OperatorLog.operator).where(OperatorLog.action == "panel_event_code.set")
        )
        assert list(logged) == ["alice"]


def test_an_admin_changes_a_row_from_its_change_link(admin: Browser) -> None:
    _seed()
    page = admin.page(PAGE)
    assert 'href="/panel-map?protocol=sia&amp;code=BA#set-title"' in page
    page = admin.page(PAGE + "?protocol=sia&code=BA")
    assert "Change SIA BA" in page
    assert 'name="type_no" type="text" value="130"' in page
    assert 'name="description" type="text" value="Burglary alarm"' in page
    form = {
        "protocol": "sia",
        "code": "ba",
        "type_no": "131",
        "zone": "",
        "description": "Burglary (perimeter)",
    }
    assert admin.post(PAGE, form | {"test_report": "true"}).status_code == 303
    rows = _rows()
    assert rows[("sia", "BA")] == (131, None, "Burglary (perimeter)", True)
    assert len(rows) == len(mapping.DEFAULTS)
    # An unknown or malformed row to change: the form is simply empty.
    assert "Add or change a code" in admin.page(PAGE + "?protocol=zz&code=%00")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"protocol": "x25"}, "use sia and a two-letter code (BA)"),
        ({"code": "B1"}, "&#39;sia&#39; code &#39;B1&#39;: use sia"),
        ({"code": ""}, "&#39;sia&#39; code &#39;&#39;: use sia"),
        ({"protocol": "cid", "code": "2130"}, "&#39;cid&#39; code &#39;2130&#39;: use sia"),
        ({"protocol": "cid", "code": "BA"}, "&#39;cid&#39; code &#39;BA&#39;"),
        ({"type_no": "abc"}, "type number must be a whole number, not &#39;abc&#39;"),
        ({"type_no": ""}, "type number must be a whole number"),
        ({"type_no": "65536"}, "type number must be between 0 and 65535, not 65536"),
        ({"type_no": "-1"}, "type number must be between 0 and 65535, not -1"),
        ({"zone": "two"}, "zone must be a whole number, not &#39;two&#39;"),
        ({"zone": "70000"}, "zone must be between 0 and 65535, not 70000"),
        ({"description": "a\x00b"}, "description must not contain a NUL character"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(
    admin: Browser, form: dict[str, str], message: str
) -> None:
    admin.page(PAGE)
    before = snapshot()
    good = {"protocol": "sia", "code": "XA", "type_no": "900", "zone": "", "description": "x"}
    answer = admin.post(PAGE, good | form)
    assert answer.status_code == 422
    assert message in answer.text
    assert 'class="field-error"' in answer.text
    assert snapshot() == before  # not even the common codes a first change would seed


def test_an_admin_removes_a_row_and_a_row_not_mapped_is_refused(admin: Browser) -> None:
    _seed()
    admin.page(PAGE)
    assert admin.post(PAGE + "/remove", {"protocol": "sia", "code": "BA"}).status_code == 303
    assert "SIA BA unmapped: its events are logged as type 0." in admin.page(PAGE)
    assert ("sia", "BA") not in _rows()
    before = snapshot()
    answer = admin.post(PAGE + "/remove", {"protocol": "sia", "code": "BA"})
    assert answer.status_code == 422
    assert "sia code BA is not mapped" in answer.text
    answer = admin.post(PAGE + "/remove", {"protocol": "sia", "code": "B"})
    assert answer.status_code == 422
    assert "use sia and a two-letter code" in answer.text
    assert snapshot() == before


def test_an_operator_is_refused_even_with_a_crafted_post(operator: Browser) -> None:
    _seed()
    operator.page(PAGE)
    before = snapshot()
    for path, form in [
        (PAGE, {"protocol": "sia", "code": "BA", "type_no": "0"}),
        (PAGE + "/remove", {"protocol": "sia", "code": "BA"}),
        (PAGE + "/seed", {}),
    ]:
        answer = operator.post(path, form)
        assert answer.status_code == 403, path
        assert "for admins" in answer.text
    assert snapshot() == before
