"""Corrections from the client page (admin): rename, retire and restore a client, edit and remove an
add-on device; each refused input changes nothing; operators are refused. Also the Maintenance view's
last known SIM state, and the wall-screen display mode."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import AddonDevice, Signal
from models.db import unit_of_work
from pipeline import system_events
from tests import factories as f
from tests.web.fixtures import CLIENT, Browser, client_id, client_row, failed_execution, snapshot


def _device_id() -> int:
    with unit_of_work() as session:
        found = session.scalar(select(AddonDevice.id).where(AddonDevice.client_id == client_id()))
        assert found is not None
        return found


def _corrections_logged() -> list[str]:
    with unit_of_work() as session:
        return list(
            session.scalars(
                select(Signal.memo)
                .where(Signal.client_id == client_id(), Signal.type_no == system_events.RECORD_CORRECTED)
                .order_by(Signal.id)
            )
        )


def test_admin_renames_the_client_and_history_says_so(admin: Browser) -> None:
    page = admin.page(f"/clients/{client_id()}")
    assert f'action="/clients/{client_id()}/rename"' in page
    answer = admin.post(f"/clients/{client_id()}/rename", {"name": "Corner Shop Ltd"}, htmx=True)
    assert answer.status_code == 200
    assert "renamed to Corner Shop Ltd" in answer.text
    assert client_row().name == "Corner Shop Ltd"
    assert _corrections_logged() == [f"renamed from 'Client {CLIENT}' to 'Corner Shop Ltd'"]
    before = snapshot()
    refused = admin.post(f"/clients/{client_id()}/rename", {"name": "  "}, htmx=True)
    assert refused.status_code == 422
    assert re.search(r'id="rename-name-msg" role="alert">', refused.text)
    assert snapshot() == before


def test_retire_needs_the_tick_and_a_decommissioned_client_then_restores(admin: Browser) -> None:
    admin.page(f"/clients/{client_id()}")
    before = snapshot()
    unticked = admin.post(f"/clients/{client_id()}/retire", {}, htmx=True)
    assert unticked.status_code == 422
    assert re.search(r'id="retire-confirm-msg" role="alert">[^<]*tick the box', unticked.text)
    assert snapshot() == before

    admin.post(f"/clients/{client_id()}/commission", {}, htmx=True)
    commissioned = admin.post(f"/clients/{client_id()}/retire", {"confirm": "true"}, htmx=True)
    assert commissioned.status_code == 422
    assert "decommission it first" in commissioned.text
    assert client_row().retired_at is None

    admin.post(f"/clients/{client_id()}/decommission", {"reason": "moved away"}, htmx=True)
    retired = admin.post(f"/clients/{client_id()}/retire", {"confirm": "true"}, htmx=True)
    assert retired.status_code == 200
    assert "Retired" in retired.text
    assert "Restore client" in retired.text
    assert ">Commission</button>" not in retired.text  # read-only now
    assert client_row().retired_at is not None
    assert CLIENT not in _search(admin)

    restored = admin.post(f"/clients/{client_id()}/restore", {}, htmx=True)
    assert restored.status_code == 200
    assert client_row().retired_at is None
    assert CLIENT in _search(admin)


def _search(browser: Browser) -> str:
    page = browser.page(f"/clients?q={CLIENT}")
    return " ".join(re.findall(r'href="/clients/\d+">([^<]+)<', page))


def test_admin_corrects_a_device_ref_no_and_a_bad_one_changes_nothing(admin: Browser) -> None:
    device = _device_id()
    page = admin.page(f"/clients/{client_id()}")
    assert f'action="/clients/{client_id()}/devices/{device}"' in page
    before = snapshot()
    bad = admin.post(f"/clients/{client_id()}/devices/{device}", {"device_ref_no": "8988216716970004970"})
    assert bad.status_code == 422
    assert re.search(rf'id="edit-device-{device}-device_ref_no-msg" role="alert">[^<]*check digit', bad.text)
    assert snapshot() == before

    good = admin.post(f"/clients/{client_id()}/devices/{device}", {"device_ref_no": f.iccid(77)}, htmx=True)
    assert good.status_code == 200
    assert f"changed to {f.iccid(77)}" in good.text
    assert any(f.iccid(77) in memo for memo in _corrections_logged())
    assert "Swap this SIM" not in good.text  # not commissioned: nothing to switch

    admin.post(f"/clients/{client_id()}/commission", {}, htmx=True)
    page = admin.page(f"/clients/{client_id()}")
    assert f'href="/clients/{client_id()}/sims/{f.iccid(77)}/swap">Swap this SIM</a>' in page


def test_removing_a_device_needs_the_tick(admin: Browser) -> None:
    device = _device_id()
    admin.page(f"/clients/{client_id()}")
    before = snapshot()
    assert admin.post(f"/clients/{client_id()}/devices/{device}/remove", {}, htmx=True).status_code == 422
    assert snapshot() == before
    removed = admin.post(f"/clients/{client_id()}/devices/{device}/remove", {"confirm": "true"}, htmx=True)
    assert removed.status_code == 200
    assert "removed; its SIM&#39;s history stays" in removed.text
    with unit_of_work() as session:
        assert session.get(AddonDevice, device) is None


def test_operators_cannot_correct_anything(operator: Browser) -> None:
    device = _device_id()
    page = operator.page(f"/clients/{client_id()}")
    assert "/rename" not in page
    assert "/remove" not in page
    before = snapshot()
    for path, data in (
        (f"/clients/{client_id()}/rename", {"name": "X"}),
        (f"/clients/{client_id()}/retire", {"confirm": "true"}),
        (f"/clients/{client_id()}/restore", {}),
        (f"/clients/{client_id()}/devices/{device}", {"device_ref_no": f.iccid(78)}),
        (f"/clients/{client_id()}/devices/{device}/remove", {"confirm": "true"}),
    ):
        assert operator.post(path, data).status_code == 403, path
    assert snapshot() == before


def test_a_device_of_another_client_is_not_found(admin: Browser) -> None:
    with unit_of_work() as session:
        other = f.seeded_client(session, "C2", 2)
        other_device = session.scalar(select(AddonDevice.id).where(AddonDevice.client_id == other.id))
    admin.page(f"/clients/{client_id()}")
    before = snapshot()
    answer = admin.post(f"/clients/{client_id()}/devices/{other_device}", {"device_ref_no": f.iccid(79)})
    assert answer.status_code in (404, 422)
    assert snapshot() == before


def test_maintenance_shows_each_sims_last_state_beside_the_commissioned_badge(operator: Browser) -> None:
    failed_execution(error="Control Center said: invalid ICCID (20000001)")
    page = operator.page(f"/clients/{client_id()}")
    assert "SIM change failed" in page
    assert re.search(r'<span class="badge badge-failed">Failed</span>', page)
    assert "invalid ICCID (20000001)" in page


def test_wall_screen_mode_is_a_preference_of_the_browser(operator: Browser) -> None:
    page = operator.page("/clients")
    assert 'data-display="normal"' in page
    answer = operator.post("/display", {"mode": "wall", "next": "/clients"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/clients")
    assert 'data-display="wall"' in operator.page("/clients")
    operator.post("/display", {"mode": "bogus", "next": "//evil.example"})
    assert 'data-display="wall"' in operator.page("/clients")
    operator.post("/display", {"mode": "normal", "next": "/clients"})
    assert 'data-display="normal"' in operator.page("/clients")
