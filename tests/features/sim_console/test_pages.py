"""The SIM console page: live reads from a real simulator, requests logged with who asked, the carrier's
rules before sending, roles, CSRF, and bad input that changes nothing."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cli.processes import free_port
from features.sim_console import pages as sim_pages
from features.sim_console import service as sim_service
from models import ExecutionStatus, OperatorLog, Signal, TaskExecution
from models.db import unit_of_work
from pipeline import executions
from pipeline.outbox import Message
from pipeline.system_events import SIM_CONSOLE_ACTION
from tests import factories as f
from tests.features.sim_console.carrier import SIM_KEY, Carrier, add_client
from tests.web.fixtures import ADMIN, OPERATOR, Browser, client_id, snapshot


@dataclass(frozen=True)
class Console:
    client_id: int
    iccid: str
    other: str  # the client's second SIM
    carrier: Carrier

    def page(self) -> str:
        return f"/clients/{self.client_id}/sims"

    def path(self, tail: str = "", iccid: str | None = None) -> str:
        return f"/clients/{self.client_id}/sims/{iccid or self.iccid}{tail}"


pytestmark = pytest.mark.usefixtures("own_carrier_clients")


@pytest.fixture
def console(world: dict[str, str], carrier: Carrier) -> Console:
    carrier.reset()
    first, second = add_client(carrier.address, 101, 102)
    return Console(client_id("S1"), first, second, carrier)


def _console_signals(code_id: int) -> list[tuple[str | None, str]]:
    with unit_of_work() as session:
        rows = session.execute(
            select(Signal.operator, Signal.memo)
            .where(Signal.client_id == code_id, Signal.type_no == SIM_CONSOLE_ACTION)
            .order_by(Signal.id)
        ).all()
        return [(operator, memo) for operator, memo in rows]


def _calls(carrier: Carrier) -> int:
    return len(carrier.admin("GET", "/calls")["calls"])


# -- the page and its live reads -------------------------------------------------------------------


def test_the_page_has_a_panel_per_sim_beside_history_and_asks_the_carrier_nothing(
    operator: Browser, admin: Browser, console: Console
) -> None:
    calls = _calls(console.carrier)
    assert f'href="{console.page()}"' in operator.page(f"/clients/{console.client_id}")
    page = operator.page(console.page())
    for iccid in (console.iccid, console.other):
        assert f'id="sim-{iccid}"' in page
        assert (
            f'hx-get="{console.path("/overview", iccid)}" hx-trigger="load, sim-changed-{iccid} from:body"'
            in page
        )
    assert 'id="history-rows"' in page
    assert 'aria-current="page">SIM console' in page
    assert "Send SMS" in page
    assert "Change rate plan" not in page  # admins only
    assert "Change rate plan" in admin.page(console.page())
    assert _calls(console.carrier) == calls  # the panels read the carrier after the page is shown


def test_a_client_without_sims_says_so(operator: Browser, world: dict[str, str]) -> None:
    with unit_of_work() as session:
        f.client(session, "EMPTY")
    assert "This client has no SIM" in operator.page(f"/clients/{client_id('EMPTY')}/sims")


def test_the_overview_is_read_live_with_the_carrier_rules(
    operator: Browser, admin: Browser, console: Console
) -> None:
    console.carrier.load(console.iccid, "ACTIVATED", ratePlan="Alarm Panel 20MB")
    text = operator.page(console.path("/overview"))
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", text))
    assert "Activated" in facts["Status"]
    assert facts["Rate plan"] == "Alarm Panel 20MB"
    assert facts["Communication plan"] == "CP_Basic_ON"
    for name in ("Date added", "Date modified", "Date activated"):
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", facts[name]), (name, facts[name])
    assert facts["Overage limit"].startswith("Not reached (override: default)")
    assert "<time datetime=" in facts["Read at"]
    assert "This SIM has been activated" in text
    assert 'value="INVENTORY" data-refused="true"' in text
    assert 'value="ACTIVATED" data-refused="true"' in text  # it already is
    assert 'value="DEACTIVATED">' in text
    assert 'value="RETIRED"' not in text  # operators may not retire
    assert "only admins may retire" in text
    as_admin = admin.page(console.path("/overview"))
    assert 'value="RETIRED">Retired' in as_admin
    assert "I confirm this ends the SIM" in as_admin
    assert SIM_KEY not in text + as_admin


def test_carrier_failures_are_explained_without_a_secret_or_a_trace(
    operator: Browser, console: Console
) -> None:
    wrong = "wr0ng-k3y-never-shown"
    [refused] = add_client(console.carrier.address, 201, code="S2", comm="Wrong key", api_key=wrong)
    [unreachable] = add_client(f"http://127.0.0.1:{free_port()}/rws/api/v1", 202, code="S3", comm="Down")
    console.carrier.script_error(console.iccid, "20000001")
    texts = {
        "credentials": operator.page(f"/clients/{client_id('S2')}/sims/{refused}/overview"),
        "connect": operator.page(f"/clients/{client_id('S3')}/sims/{unreachable}/overview"),
        "20000001": operator.page(console.path("/overview")),
        "10000030": "",
    }
    console.carrier.script_error(console.iccid, "10000030")
    texts["10000030"] = operator.page(console.path("/usage"))
    for words, text in texts.items():
        assert "could not be read" in text, text
        assert words in text.lower(), (words, text)
        assert "Traceback" not in text
        assert wrong not in text
        assert SIM_KEY not in text
    assert "Change status" in texts["20000001"]  # the form is still there; a request is checked when sent


def test_usage_for_the_current_or_a_chosen_cycle(operator: Browser, console: Console) -> None:
    current = operator.page(console.path("/usage"))
    assert "Current cycle" in current
    assert re.search(r"<th scope=\"row\">Data</th><td class=\"num\">[\d,]+ bytes", current)
    assert re.search(r"<th scope=\"row\">SMS</th><td class=\"num\">[\d,]+ messages?<", current)
    assert re.search(r"<th scope=\"row\">Voice</th><td class=\"num\">[\d,]+ s \(", current)
    chosen = operator.page(console.path("/usage?cycle_start=2026-01-01"))
    assert "Cycle starting 2026-01-01" in chosen
    for bad in ("2026-13-01", "01/02/2026", "2026-1-1", "yesterday", "2026-02-30"):
        answer = operator.http.get(console.path("/usage"), params={"cycle_start": bad})
        assert answer.status_code == 422, bad
        assert "YYYY-MM-DD" in answer.text


def test_the_usage_chart_reads_each_of_the_last_cycles(operator: Browser, console: Console) -> None:
    page = operator.page(console.page())
    assert f'hx-get="{console.path("/usage/cycles")}"' in page
    calls = _calls(console.carrier)
    chart = operator.page(console.path("/usage/cycles"))
    usage_reads = [
        c for c in console.carrier.admin("GET", "/calls")["calls"][calls:] if c["path"].endswith("/ctdUsages")
    ]
    assert len(usage_reads) == sim_service.USAGE_CYCLES
    first = date.today().replace(day=1)
    earlier = [sim_service._months_before(first, n).strftime("%b %Y") for n in (2, 1)]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([\d.]+)</td></tr>', chart)
    assert [label for label, _ in rows] == [*earlier, "current"]
    assert chart.count('<rect class="chart-info"') == sum(float(v) > 0 for _, v in rows)
    assert f"Data used by SIM {console.iccid}, last 3 cycles" in chart


def test_months_before_crosses_the_year() -> None:
    assert sim_service._months_before(date(2026, 2, 1), 3) == date(2025, 11, 1)
    assert sim_service._months_before(date(2026, 12, 1), 12) == date(2025, 12, 1)


# -- requests --------------------------------------------------------------------------------------


def test_an_operator_changes_the_status_and_history_says_who(
    operator: Browser, console: Console, published: list[Message]
) -> None:
    console.carrier.load(console.iccid, "ACTIVATED")
    operator.page(console.page())
    answer = operator.post(console.path("/status"), {"status": "Deactivated"}, htmx=True)
    assert answer.status_code == 200, answer.text
    assert f"Console: set SIM {console.iccid} to DEACTIVATED: requested (execution" in answer.text
    assert "follows in History too" in answer.text
    assert _console_signals(console.client_id) == [
        (OPERATOR, f"Console: set SIM {console.iccid} to DEACTIVATED")
    ]
    with unit_of_work() as session:
        execution = session.scalars(select(TaskExecution)).one()
        assert execution.options == {"action": "set_status", "status": "DEACTIVATED"}
        assert execution.target_key == f"sim:{console.iccid}"
        logged = session.scalars(select(OperatorLog).where(OperatorLog.action == "sim.request")).one()
        assert logged.operator == OPERATOR
    assert published == [(execution.id, "sim_console.request", "jasper", 0.0)]
    assert console.carrier.status(console.iccid) == "ACTIVATED"  # the workers make the change

    plain = operator.post(console.path("/status"), {"status": "DEACTIVATED"})  # without htmx
    assert (plain.status_code, plain.headers["location"]) == (303, f"{console.page()}#sim-{console.iccid}")
    page = operator.page(console.page())
    assert "requested (execution" in page
    assert page.count('data-type-no="65522"') == 2


def test_moves_the_carrier_refuses_are_explained_and_not_sent(
    operator: Browser, console: Console, published: list[Message]
) -> None:
    console.carrier.load(console.iccid, "ACTIVATED")
    operator.page(console.page())
    before = snapshot()
    cases = [
        ({"status": "INVENTORY"}, 409, "may not move back to a pre-activation status (10000029)"),
        ({"status": "Activation Ready"}, 409, "10000029"),
        ({"status": "ACTIVATED"}, 409, "already ACTIVATED"),
        ({"status": "ON"}, 422, "SIM status must be one of"),
        ({}, 422, "SIM status must be one of"),
        ({"status": "a\x00b"}, 422, "NUL"),
    ]
    for form, status, words in cases:
        for htmx in (True, False):
            answer = operator.post(console.path("/status"), form, htmx=htmx)
            assert answer.status_code == status, (form, answer.text[:300])
            assert words in html.unescape(answer.text), (form, answer.text[:300])
    assert snapshot() == before
    assert published == []


def test_a_change_is_not_sent_when_the_rules_cannot_be_checked(
    operator: Browser, console: Console, published: list[Message]
) -> None:
    console.carrier.script_error(console.iccid, "30000001", count=2)  # the carrier fails internally
    operator.page(console.page())
    before = snapshot()
    htmx = operator.post(console.path("/status"), {"status": "ACTIVATED"}, htmx=True)
    assert htmx.status_code == 200  # htmx shows no 5xx answer: the explanation is the content
    assert "Not sent: the carrier's rules could not be checked" in html.unescape(htmx.text)
    assert "30000001" in htmx.text
    plain = operator.post(console.path("/status"), {"status": "ACTIVATED"})
    assert plain.status_code == 503
    assert "30000001" in plain.text
    assert snapshot() == before
    assert published == []


def test_only_admins_retire_a_sim_and_only_when_confirmed(
    operator: Browser, admin: Browser, console: Console, published: list[Message]
) -> None:
    operator.page(console.page())
    admin.page(console.page())
    before = snapshot()
    for htmx in (True, False):
        answer = operator.post(console.path("/status"), {"status": "RETIRED", "confirm": "true"}, htmx=htmx)
        assert answer.status_code == 403
        assert "Retiring a SIM is for admins" in answer.text
    unconfirmed = admin.post(console.path("/status"), {"status": "RETIRED"}, htmx=True)
    assert unconfirmed.status_code == 422
    assert "confirm to go ahead" in unconfirmed.text
    assert snapshot() == before
    assert published == []
    confirmed = admin.post(console.path("/status"), {"status": "RETIRED", "confirm": "true"}, htmx=True)
    assert confirmed.status_code == 200, confirmed.text
    assert _console_signals(console.client_id) == [(ADMIN, f"Console: set SIM {console.iccid} to RETIRED")]
    assert len(published) == 1


def test_an_sms_is_requested_and_bad_text_is_refused(
    operator: Browser, console: Console, published: list[Message]
) -> None:
    operator.page(console.page())
    before = snapshot()
    for text, words in [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 161, "at most 160"),
        ("a\x00b", "NUL"),
    ]:
        answer = operator.post(console.path("/sms", console.other), {"text": text}, htmx=True)
        assert answer.status_code == 422, text
        assert words in html.unescape(answer.text)
    assert snapshot() == before
    answer = operator.post(console.path("/sms", console.other), {"text": "wake up"}, htmx=True)
    assert answer.status_code == 200, answer.text
    assert f"Console: SMS to SIM {console.other}: requested" in answer.text
    with unit_of_work() as session:
        execution = session.scalars(select(TaskExecution)).one()
        assert execution.options == {"action": "send_sms", "text": "wake up"}
    assert _console_signals(console.client_id) == [(OPERATOR, f"Console: SMS to SIM {console.other}")]
    assert len(published) == 1


def test_rate_plans_are_for_admins_and_come_from_the_carrier(
    operator: Browser, admin: Browser, console: Console, published: list[Message]
) -> None:
    operator.page(console.page())
    before = snapshot()
    assert operator.http.get(console.path("/rate-plans")).status_code == 403
    refused = operator.post(console.path("/rate-plan"), {"rate_plan": "Alarm Panel 20MB"}, htmx=True)
    assert refused.status_code == 403
    assert "for admins" in refused.text

    form = admin.page(console.path("/rate-plans"))
    plans = re.findall(r'<option value="([^"]*)"', form)
    assert plans == ["", "Alarm Panel 5MB", "Alarm Panel 20MB", "Alarm Panel Pooled 1GB", "Test Ready 20KB"]
    for plan, words in [("No Such Plan", "offers no rate plan 'No Such Plan'"), ("  ", "choose a rate plan")]:
        answer = admin.post(console.path("/rate-plan"), {"rate_plan": plan}, htmx=True)
        assert answer.status_code == 422
        assert words in html.unescape(answer.text)
    assert snapshot() == before
    assert published == []

    answer = admin.post(console.path("/rate-plan"), {"rate_plan": "Alarm Panel 20MB"}, htmx=True)
    assert answer.status_code == 200, answer.text
    assert f"Console: rate plan of SIM {console.iccid} to Alarm Panel 20MB: requested" in answer.text
    assert len(published) == 1


def test_sims_of_other_clients_and_bad_addresses_are_refused(admin: Browser, console: Console) -> None:
    admin.page(console.page())
    before = snapshot()
    not_ours = f.iccid(1)  # client C1's SIM
    for path, status in [
        (console.path("/overview", not_ours), 404),
        (console.path("/usage", "8988216716970000000"), 404),
        (console.path("/overview", "abc"), 404),  # names no SIM, as an unknown ICCID does not
        (console.path("/overview", "9" * 40), 404),
        ("/clients/999999/sims", 404),
        ("/clients/0/sims", 404),
    ]:
        assert admin.http.get(path).status_code == status, path
    for tail, form in [("/status", {"status": "DEACTIVATED"}), ("/sms", {"text": "hi"})]:
        answer = admin.post(console.path(tail, not_ours), form)
        assert answer.status_code == 404
        assert f"SIM {not_ours} is not on client S1" in answer.text
    assert snapshot() == before


def test_every_console_form_needs_the_csrf_token(admin: Browser, console: Console) -> None:
    admin.page(console.page())
    before = snapshot()
    forms = {"status": "DEACTIVATED", "text": "hi", "rate_plan": "Alarm Panel 20MB"}
    for tail in ("/status", "/sms", "/rate-plan"):
        answer = admin.post(console.path(tail), forms, csrf=False)
        assert answer.status_code == 403, tail
        assert "security token" in answer.text
    assert snapshot() == before


NASTY = [
    "", " ", "RETIRED", "retired", "Activation Ready", "DEACTIVATED", "ACTIVATED", "true", "false",
    "Alarm Panel 20MB", "x" * 161, "\x00", "🚨", "2026-01-01", "' OR 1=1 --", "line\nbreak",
]  # fmt: skip


def _console_posts() -> list[str]:
    return sorted(
        route.path
        for route in sim_pages.router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    )


def test_random_console_forms_never_crash_and_refusals_change_nothing(
    admin: Browser, console: Console
) -> None:
    console.carrier.load(console.iccid, "ACTIVATED")
    admin.page(console.page())
    posts = _console_posts()
    assert len(posts) == 3
    values = st.one_of(st.sampled_from(NASTY), st.text(st.characters(exclude_categories=["Cs"]), max_size=30))
    forms = st.dictionaries(st.sampled_from(["status", "confirm", "text", "rate_plan", "client_id"]), values)
    statuses: dict[int, int] = {}

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        route=st.sampled_from(posts),
        form=forms,
        client=st.sampled_from([str(console.client_id), str(client_id()), "999"]),
        iccid=st.sampled_from([console.iccid, console.other, f.iccid(1), "1"]),
    )
    def fuzz(route: str, form: dict[str, str], client: str, iccid: str) -> None:
        path = route.replace("{client_id}", client).replace("{iccid}", iccid)
        before = snapshot()
        answer = admin.post(path, form, htmx=bool(len(form) % 2))
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        # C1's SIM is on the world's carrier at cc.example.test, which nothing answers: a live read
        # there is honestly 502/503 ("could not be reached"), never a crash.
        unreachable = (client, iccid) == (str(client_id()), f.iccid(1))
        assert answer.status_code < 500 or (unreachable and answer.status_code in (502, 503)), (
            path,
            form,
            answer.text[:300],
        )
        if answer.status_code >= 400:
            assert snapshot() == before, (path, form, answer.status_code)

    fuzz()
    assert {404, 422} <= set(statuses), statuses


def test_the_panel_reads_the_sim_again_when_the_outcome_arrives_and_the_sms_box_clears(
    operator: Browser, console: Console
) -> None:
    page = operator.page(console.page())
    assert f'hx-trigger="load, sim-changed-{console.iccid} from:body"' in page
    answer = operator.post(console.path("/status"), {"status": "DEACTIVATED"}, htmx=True)
    with unit_of_work() as session:
        execution_id = session.scalars(select(TaskExecution.id)).one()
    poll = console.path(f"/requests/{execution_id}")
    assert f'hx-get="{poll}" hx-trigger="every 2s" hx-target="this"' in answer.text
    waiting = operator.http.get(poll, headers={"HX-Request": "true"})
    assert waiting.status_code == 200
    assert "HX-Trigger" not in waiting.headers
    assert f'hx-get="{poll}"' in waiting.text

    with unit_of_work() as session:
        claim = executions.claim(session, execution_id)
        assert claim is not None
    with unit_of_work() as session:
        executions.complete(session, claim, ExecutionStatus.SUCCEEDED, "DEACTIVATED, confirmed")
    done = operator.http.get(poll, headers={"HX-Request": "true"})
    assert done.headers["HX-Trigger"] == f"sim-changed-{console.iccid}"
    assert "DEACTIVATED, confirmed" in done.text
    assert done.text.count(f"Console: set SIM {console.iccid} to DEACTIVATED") == 1  # said once
    assert "hx-get" not in done.text  # the polling stops
    assert operator.http.get(console.path("/requests/999999")).status_code == 404
    assert operator.http.get(console.path(f"/requests/{execution_id}", console.other)).status_code == 404

    sent = operator.post(console.path("/sms", console.other), {"text": "wake up"}, htmx=True)
    assert re.search(rf'<div id="sim-{console.other}-sms-field" hx-swap-oob="true">', sent.text)
    assert 'value=""' in sent.text.split(f"sim-{console.other}-sms-field", 1)[1]
    with unit_of_work() as session:
        sms_id = max(session.scalars(select(TaskExecution.id)))
        claim = executions.claim(session, sms_id)
        assert claim is not None
    with unit_of_work() as session:
        executions.complete(session, claim, ExecutionStatus.SUCCEEDED, "SMS sent")
    sms_done = operator.http.get(
        console.path(f"/requests/{sms_id}", console.other), headers={"HX-Request": "true"}
    )
    assert "SMS sent" in sms_done.text
    assert "HX-Trigger" not in sms_done.headers  # an SMS changes nothing the panel shows
