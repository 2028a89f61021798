"""Admins' configuration pages: each one adds and changes through the services, messages next to fields."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from centre import communicator_types, system_settings
from cli.processes import free_port, start_simulator, stop
from config import secrets
from models import CommunicatorType, TaskAssignment
from models.db import unit_of_work
from tests.web.fixtures import Browser, page_routes, snapshot

KEY = "s3cret-carrier-key-never-shown"
SIM_USER, SIM_KEY = "centre", "sim-key-for-web-tests"


@pytest.fixture
def database(sqlite_database: str) -> str:
    """The configuration pages do not depend on the backend: SQLite only."""
    return sqlite_database


@pytest.fixture
def simulator(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = start_simulator(port, SIM_USER, SIM_KEY, env={**os.environ, **env})
    try:
        yield f"http://127.0.0.1:{port}/rws/api/v1"
    finally:
        stop(proc)


def _message(page: str, form: str, field: str) -> str:
    found = re.search(rf'id="{form}-{field}-msg" role="alert">([^<]+)<', page)
    assert found is not None, f"no message next to {form}/{field}"
    return html.unescape(found.group(1))


def _add_comm(admin: Browser, name: str = "Carrier A", **fields: str):  # type: ignore[no-untyped-def]
    admin.page("/admin/communicator-types")
    form = {
        "name": name,
        "kind": "jasper-rest",
        "server_address": "https://cc.example.test/rws/api/v1",
        "user_name": "centre-api",
        "api_key": KEY,
        "calls_per_second": "2",
        **fields,
    }
    return admin.post("/admin/communicator-types", form)


def test_a_new_communicator_type_key_is_never_sent_back(admin: Browser) -> None:
    answer = _add_comm(admin)
    assert answer.status_code == 303
    assert KEY not in answer.text
    with unit_of_work() as session:
        comm = communicator_types.get_by_name(session, "Carrier A")
        assert KEY not in comm.api_key_encrypted
        assert secrets.decrypt(comm.api_key_encrypted) == KEY
        comm_id = comm.id
    for path in ("/admin/communicator-types", f"/admin/communicator-types/{comm_id}", "/admin", "/clients"):
        assert KEY not in admin.page(path)
    edit = admin.page(f"/admin/communicator-types/{comm_id}")
    assert 'name="api_key" type="password" value=""' in edit
    assert "Leave empty to keep the stored key" in edit


def test_a_refused_form_gives_back_everything_but_the_key(admin: Browser) -> None:
    before = snapshot()
    answer = _add_comm(admin, server_address="restapi1.jasper.com/rws/api/v1")
    assert answer.status_code == 422
    assert "must start with http:// or https://" in _message(answer.text, "add", "server_address")
    assert KEY not in answer.text
    assert 'value="centre-api"' in answer.text  # the other fields are kept
    assert snapshot() == before
    answer = _add_comm(admin, calls_per_second="fast")
    assert _message(answer.text, "add", "calls_per_second") == "calls per second must be a number, not 'fast'"
    _add_comm(admin)
    duplicate = _add_comm(admin)
    assert "already exists" in _message(duplicate.text, "add", "name")


def test_editing_with_an_empty_key_keeps_the_key(admin: Browser) -> None:
    _add_comm(admin)
    with unit_of_work() as session:
        comm = communicator_types.get_by_name(session, "Carrier A")
        address, user = comm.server_address, comm.user_name
    admin.page(f"/admin/communicator-types/{comm.id}")
    same = {"server_address": address, "user_name": user, "api_key": "", "calls_per_second": "3"}
    answer = admin.post(f"/admin/communicator-types/{comm.id}", same)
    assert answer.status_code == 303
    with unit_of_work() as session:
        comm = communicator_types.get_by_name(session, "Carrier A")
        assert (comm.server_address, comm.user_name, comm.calls_per_second) == (address, user, 3.0)
        assert secrets.decrypt(comm.api_key_encrypted) == KEY


def test_a_stored_key_is_bound_to_its_address_and_user(admin: Browser) -> None:
    """Before, changing only the address and pressing Test connection sent the stored key to the new
    host in the Basic header: the key must be entered again with a new address or user name."""
    _add_comm(admin)
    with unit_of_work() as session:
        comm = communicator_types.get_by_name(session, "Carrier A")
    admin.page(f"/admin/communicator-types/{comm.id}")
    before = snapshot()
    for moved in (
        {"server_address": "https://other.example.test/rws/api/v1", "user_name": comm.user_name},
        {"server_address": comm.server_address, "user_name": "other"},
    ):
        answer = admin.post(
            f"/admin/communicator-types/{comm.id}", {**moved, "api_key": "", "calls_per_second": "1"}
        )
        assert answer.status_code == 422
        assert "enter the API key again" in html.unescape(answer.text)
    assert snapshot() == before
    answer = admin.post(
        f"/admin/communicator-types/{comm.id}",
        {
            "server_address": "https://other.example.test/rws/api/v1",
            "user_name": "other",
            "api_key": "the-new-key",
            "calls_per_second": "1",
        },
    )
    assert answer.status_code == 303
    with unit_of_work() as session:
        comm = communicator_types.get_by_name(session, "Carrier A")
        assert (comm.server_address, comm.user_name) == ("https://other.example.test/rws/api/v1", "other")
        assert secrets.decrypt(comm.api_key_encrypted) == "the-new-key"


def test_test_connection_reports_what_the_carrier_answers(admin: Browser, simulator: str) -> None:
    _add_comm(admin, "Right", server_address=simulator, user_name=SIM_USER, api_key=SIM_KEY)
    _add_comm(admin, "Wrong key", server_address=simulator, user_name=SIM_USER, api_key="not-the-key")
    with unit_of_work() as session:
        ids = {c.name: c.id for c in session.scalars(select(CommunicatorType))}
    admin.page(f"/admin/communicator-types/{ids['Right']}")
    good = admin.post(f"/admin/communicator-types/{ids['Right']}/test", htmx=True)
    assert good.status_code == 200
    assert "Connection works" in good.text
    bad = admin.post(f"/admin/communicator-types/{ids['Wrong key']}/test", htmx=True)
    assert "Connection failed" in bad.text
    assert "credentials" in bad.text.lower() or "401" in bad.text
    assert "not-the-key" not in bad.text
    assert SIM_KEY not in good.text
    plain = admin.post(f"/admin/communicator-types/{ids['Wrong key']}/test")
    assert plain.status_code == 303
    assert "Connection failed" in admin.page(plain.headers["location"])


def test_test_connection_is_paced_and_quotes_no_carrier_text(admin: Browser, simulator: str) -> None:
    """Before, Test connection was not paced (14 of 30 presses drew 40000029, spending the production
    budget) and quoted what answered behind an address."""
    base = simulator.removesuffix("/rws/api/v1")
    faults = httpx.put(f"{base}/_admin/faults", json={"rate_limit": 2}, auth=(SIM_USER, SIM_KEY), timeout=5)
    assert faults.status_code == 200, faults.text
    _add_comm(admin, "Paced", server_address=simulator, user_name=SIM_USER, api_key=SIM_KEY)
    with unit_of_work() as session:
        comm_id = communicator_types.get_by_name(session, "Paced").id
    admin.page(f"/admin/communicator-types/{comm_id}")
    answers = [admin.post(f"/admin/communicator-types/{comm_id}/test", htmx=True).text for _ in range(8)]
    calls = httpx.get(f"{base}/_admin/calls", auth=(SIM_USER, SIM_KEY), timeout=5).json()["calls"]
    limited = [call for call in calls if "40000029" in str(call)]
    assert limited == []
    assert all("Connection works" in text or "budget is in use" in text for text in answers), answers
    # A host that answers with a page of its own: the reason is ours, the page's words are not quoted.
    _add_comm(
        admin, "Elsewhere", server_address=f"{base}/_admin/nothing-here", user_name=SIM_USER, api_key=SIM_KEY
    )
    with unit_of_work() as session:
        elsewhere = communicator_types.get_by_name(session, "Elsewhere").id
    text = html.unescape(admin.post(f"/admin/communicator-types/{elsewhere}/test", htmx=True).text)
    assert "Connection failed" in text
    assert "detail" not in text.lower(), text
    assert "not found" not in text.lower(), text


def test_tasks_are_added_and_changed(admin: Browser) -> None:
    page = admin.page("/admin/tasks")
    assert "Jasper: activate/deactivate SIMs" in page  # the seeded task
    answer = admin.post("/admin/tasks", {"task_no": "1", "type": "jasper", "description": "again"})
    assert "task number 1 already exists" in _message(answer.text, "add", "task_no")
    answer = admin.post("/admin/tasks", {"task_no": "42", "type": "email", "description": "x"})
    assert "unknown task type" in _message(answer.text, "add", "type")
    answer = admin.post(
        "/admin/tasks", {"task_no": "42", "type": "jasper", "description": "Second", "enabled": "true"}
    )
    assert answer.status_code == 303
    assert "Second" in admin.page("/admin/tasks")


def test_templates_and_event_types(admin: Browser) -> None:
    admin.page("/admin/templates")
    assert admin.post("/admin/templates", {"code": "ALARMS", "name": "Alarm panels"}).status_code == 303
    page = admin.page("/admin/templates")
    template_id = re.search(r'href="/admin/templates/(\d+)">ALARMS', page)
    assert template_id is not None
    path = f"/admin/templates/{template_id.group(1)}"
    admin.page(path)
    answer = admin.post(f"{path}/event-types", {"type_no": "70000", "description": "x", "action_plan": ""})
    assert "type number must be between 0 and 65535" in _message(answer.text, "add", "type_no")
    answer = admin.post(
        f"{path}/event-types", {"type_no": "130", "description": "Burglary", "action_plan": "Nope"}
    )
    assert "no action plan named 'Nope'" in _message(answer.text, "add", "action_plan")
    answer = admin.post(
        f"{path}/event-types", {"type_no": "130", "description": "Burglary", "action_plan": "Commission"}
    )
    assert answer.status_code == 303
    assert "Burglary" in admin.page(path)


def test_action_plans_and_response_plans_with_task_options(admin: Browser) -> None:
    admin.page("/admin/action-plans")
    answer = admin.post(
        "/admin/action-plans", {"name": "Alarm", "priority": "300", "default_response_plan": ""}
    )
    assert "priority must be between 0 and 255" in _message(answer.text, "add", "priority")
    assert admin.post("/admin/response-plans", {"name": "Night"}).status_code == 303
    assert (
        admin.post(
            "/admin/action-plans", {"name": "Alarm", "priority": "5", "default_response_plan": "Night"}
        ).status_code
        == 303
    )
    assert "Night" in admin.page("/admin/action-plans")

    page = admin.page("/admin/response-plans")
    plan_id = re.search(r'href="/admin/response-plans/(\d+)">Night', page)
    assert plan_id is not None
    path = f"/admin/response-plans/{plan_id.group(1)}"
    admin.page(path)
    assert admin.post(f"{path}/entries", {"user": "Jasper", "position": "1"}).status_code == 303
    page = admin.page(path)
    entry = re.search(r'action="/admin/entries/(\d+)/assignments"', page)
    assert entry is not None
    target = f"/admin/entries/{entry.group(1)}/assignments"
    answer = admin.post(target, {"task_no": "1", "options": "Command Type = Sideways"})
    assert "Command Type must be Activate or Deactivate" in _message(
        answer.text, f"assign-{entry.group(1)}", "options"
    )
    answer = admin.post(target, {"task_no": "1", "options": "Command Type = Deactivate"})
    assert answer.status_code == 303
    with unit_of_work() as session:
        options = [
            a.options
            for a in session.scalars(
                select(TaskAssignment).where(TaskAssignment.entry_id == int(entry.group(1)))
            )
        ]
    assert options == [{"command_type": "Deactivate"}]
    assert "Command Type = Deactivate" in admin.page(path)


def test_overrides_users_and_dealers(admin: Browser) -> None:
    admin.page("/admin/overrides")
    assert admin.post("/admin/dealers", {"name": "Acme Alarms"}).status_code == 303
    answer = admin.post("/admin/overrides", {"action_plan": "Commission", "response_plan": "Decommission"})
    assert "either a client or template code, or a dealer" in answer.text
    answer = admin.post(
        "/admin/overrides",
        {"action_plan": "Commission", "response_plan": "Decommission", "dealer": "Acme Alarms"},
    )
    assert answer.status_code == 303
    page = admin.page("/admin/overrides")
    assert "Acme Alarms" in page
    assert "dealer" in page
    admin.page("/admin/users")
    assert admin.post("/admin/users", {"name": "Night guard", "is_global": "true"}).status_code == 303
    assert "already exists" in _message(admin.post("/admin/users", {"name": "Jasper"}).text, "add", "name")
    assert "Night guard" in admin.page("/admin/users")


def test_login_accounts_and_the_last_admin(admin: Browser) -> None:
    page = admin.page("/admin/accounts")
    answer = admin.post(
        "/admin/accounts", {"username": "new op", "password": "long enough", "role": "operator"}
    )
    assert "user name 'new op' must be" in _message(answer.text, "add", "username")
    answer = admin.post("/admin/accounts", {"username": "newop", "password": "short", "role": "operator"})
    assert "at least 8 characters" in _message(answer.text, "add", "password")
    assert "short" not in re.sub(r"<[^>]+>", "", answer.text).replace("at least 8 characters", "")
    assert (
        admin.post(
            "/admin/accounts", {"username": "newop", "password": "long enough", "role": "operator"}
        ).status_code
        == 303
    )
    page = admin.page("/admin/accounts")
    alice = re.search(r'action="/admin/accounts/(\d+)"', page)
    assert alice is not None
    answer = admin.post(f"/admin/accounts/{alice.group(1)}", {"role": "operator", "active": "true"})
    assert "last active admin" in answer.text


def test_api_tokens_are_shown_once(admin: Browser) -> None:
    admin.page("/admin/api-tokens")
    answer = admin.post("/admin/api-tokens", {"name": "Receiver", "role": "operator"})
    assert answer.status_code == 201
    token = re.search(r'id="new-token" class="mono wide" readonly value="(cmr_[^"]+)"', answer.text)
    assert token is not None
    assert token.group(1) not in admin.page("/admin/api-tokens")
    assert "set-cookie" not in answer.headers or token.group(1) not in answer.headers["set-cookie"]


def test_the_default_commission_setting(admin: Browser) -> None:
    admin.page("/admin/settings")
    name = system_settings.DEFAULT_COMMISSION_ON_CREATE
    answer = admin.post(f"/admin/settings/{name}", {"value": "maybe"})
    assert "is not a yes/no value" in _message(answer.text, f"setting-{name}", "value")
    assert admin.post(f"/admin/settings/{name}", {"value": "true"}).status_code == 303
    with unit_of_work() as session:
        assert system_settings.get_bool(session, name)
    assert admin.post("/admin/settings/no_such_setting", {"value": "1"}).status_code == 404


def test_every_admin_page_renders(admin: Browser) -> None:
    for method, path in page_routes():
        if method == "GET" and path.startswith("/admin") and "{" not in path:
            admin.page(path)


def test_the_standard_jasper_setup_is_one_button_and_pressing_it_again_changes_nothing(
    admin: Browser,
) -> None:
    assert "Create the standard Jasper setup" in admin.page("/admin")
    before = snapshot()  # the world fixture has seeded already: nothing is missing
    answer = admin.post("/admin/seed")
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin")
    assert "The standard Jasper setup is in place" in admin.page("/admin")
    assert _without_oplog(snapshot()) == _without_oplog(before)


def _without_oplog(rows: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    return {table: found for table, found in rows.items() if table != "operator_log"}


def test_a_decommission_plan_suggests_deactivate_and_tasks_are_chosen_by_description(admin: Browser) -> None:
    plans_page = admin.page("/admin/response-plans")
    for name, command in (("Decommission", "Deactivate"), ("Commission", "Activate")):
        plan_id = re.search(rf'href="/admin/response-plans/(\d+)">{name}<', plans_page)
        assert plan_id is not None, name
        page = admin.page(f"/admin/response-plans/{plan_id.group(1)}")
        assert re.search(rf'name="options"[^>]*>Command Type = {command}</textarea>', page), name
        assert re.search(
            r'<option value="1"[^>]*>1: Jasper: activate/deactivate SIMs \(jasper\)</option>', page
        )


def test_the_kind_of_a_communicator_type_is_chosen_by_the_platform_name(admin: Browser) -> None:
    page = admin.page("/admin/communicator-types")
    assert re.search(
        r'<option value="jasper-rest" selected>Cisco IoT Control Center \(REST API\) \(jasper-rest\)', page
    )


def test_the_form_adds_a_kore_oauth2_type_its_client_secret_never_shown(admin: Browser) -> None:
    page = admin.page("/admin/communicator-types")
    assert re.search(
        r'<option value="supersim-oauth2"[^>]*>Super SIM on KORE \(OAuth2 client credentials\)', page
    )
    answer = _add_comm(
        admin,
        "KORE",
        kind="supersim-oauth2",
        server_address="https://supersim.api.korewireless.com/v1",
        user_name="kore-client-3",
    )
    assert answer.status_code == 303
    with unit_of_work() as session:
        comm = communicator_types.get_by_name(session, "KORE")
        assert (comm.kind, comm.user_name) == ("supersim-oauth2", "kore-client-3")
        assert secrets.decrypt(comm.api_key_encrypted) == KEY
    assert KEY not in admin.page("/admin/communicator-types")


def test_a_communicator_type_is_removed_only_unused_and_confirmed(admin: Browser) -> None:
    assert _add_comm(admin).status_code == 303
    with unit_of_work() as session:
        unused = communicator_types.get_by_name(session, "Carrier A").id
        used = communicator_types.get_by_name(session, "Jasper").id
    admin.page(f"/admin/communicator-types/{unused}")
    before = snapshot()
    unticked = admin.post(f"/admin/communicator-types/{unused}/remove")
    assert unticked.status_code == 422
    assert "tick the box" in unticked.text
    in_use = admin.post(f"/admin/communicator-types/{used}/remove", {"confirm": "true"})
    assert in_use.status_code == 422
    assert "move or remove them first" in in_use.text
    assert snapshot() == before
    done = admin.post(f"/admin/communicator-types/{unused}/remove", {"confirm": "true"})
    assert (done.status_code, done.headers["location"]) == (303, "/admin/communicator-types")
    listed = admin.page("/admin/communicator-types")
    assert "Communicator type Carrier A removed." in listed
    assert f'href="/admin/communicator-types/{unused}"' not in listed


def test_the_configuration_page_title_is_its_name_alone(admin: Browser) -> None:
    page = admin.page("/admin")
    assert "<title>Configuration · Commissioner</title>" in page
    assert page.count("Create the standard Jasper setup") == 1
