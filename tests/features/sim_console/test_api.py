"""The SIM console in the JSON API: live reads from a real simulator, requests logged with who asked,
the carrier's rules before sending, roles, and refused requests that change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cli.processes import free_port
from pipeline.outbox import Message
from pipeline.system_events import SIM_CONSOLE_ACTION
from tests import factories as f
from tests.features.sim_console.carrier import SIM_KEY, Carrier, add_client
from tests.web.fixtures import bearer, snapshot

ADMIN_ONLY = ("retire", "rate-plan")


pytestmark = pytest.mark.usefixtures("own_carrier_clients")


@pytest.fixture
def iccid(world: dict[str, str], carrier: Carrier) -> str:
    carrier.reset()
    [first] = add_client(carrier.address, 301)
    return first


class Api:
    def __init__(self, http: TestClient, token: str) -> None:
        self.http, self.headers = http, bearer(token)

    def get(self, path: str, **params: str) -> Any:
        return self.http.get(f"/api/clients/S1/sims{path}", headers=self.headers, params=params)

    def post(self, path: str, body: object) -> Any:
        return self.http.post(f"/api/clients/S1/sims{path}", headers=self.headers, json=body)


@pytest.fixture
def operator_api(app_client: TestClient, world: dict[str, str]) -> Api:
    return Api(app_client, world["operator_token"])


@pytest.fixture
def admin_api(app_client: TestClient, world: dict[str, str]) -> Api:
    return Api(app_client, world["admin_token"])


def _history(api: Api) -> list[dict[str, Any]]:
    answer = api.http.get("/api/clients/S1/history", headers=api.headers)
    assert answer.status_code == 200
    return list(answer.json())


def test_the_clients_sims_are_listed(operator_api: Api, iccid: str) -> None:
    answer = operator_api.get("")
    assert answer.status_code == 200
    assert answer.json() == [{"iccid": iccid, "communicator_type": "Sim carrier", "on_base_account": False}]
    assert operator_api.http.get("/api/clients/NOPE/sims", headers=operator_api.headers).status_code == 404
    assert operator_api.http.get("/api/clients/S1/sims").status_code == 401


def test_the_overview_is_read_live_with_the_carrier_rules(
    operator_api: Api, carrier: Carrier, iccid: str
) -> None:
    carrier.load(iccid, "ACTIVATED", ratePlan="Alarm Panel 20MB", overageLimitOverride="TEMPORARY_OVERRIDE")
    answer = operator_api.get(f"/{iccid}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["iccid"], body["status"], body["rate_plan"]) == (iccid, "ACTIVATED", "Alarm Panel 20MB")
    assert body["communication_plan"] == "CP_Basic_ON"
    for name in ("date_added", "date_modified", "date_activated", "read_at"):
        assert body[name], name
    assert (body["overage_limit_reached"], body["overage_limit_override"]) == (False, "TEMPORARY_OVERRIDE")
    rules = {rule["status"]: rule for rule in body["status_changes"]}
    assert list(rules) == ["INVENTORY", "ACTIVATION_READY", "ACTIVATED", "DEACTIVATED", "RETIRED"]
    assert rules["INVENTORY"]["allowed"] is False
    assert "10000029" in rules["INVENTORY"]["refused_because"]
    assert rules["ACTIVATED"]["refused_because"] == "the SIM is already ACTIVATED"
    assert rules["DEACTIVATED"] == {
        "status": "DEACTIVATED",
        "allowed": True,
        "refused_because": None,
        "admin_only": False,
        "needs_confirmation": False,
    }
    assert (rules["RETIRED"]["admin_only"], rules["RETIRED"]["needs_confirmation"]) == (True, True)


def test_usage_and_rate_plans_are_read_live(operator_api: Api, iccid: str) -> None:
    current = operator_api.get(f"/{iccid}/usage")
    assert current.status_code == 200, current.text
    body = current.json()
    assert body["cycle_start"] is None
    assert all(
        isinstance(body[k], int) for k in ("data_bytes", "sms_count", "voice_seconds", "session_count")
    )
    chosen = operator_api.get(f"/{iccid}/usage", cycle_start="2026-01-01")
    assert chosen.json()["cycle_start"] == "2026-01-01"
    for bad in ("2026-02-30", "2026-1-1", "01/02/2026"):
        answer = operator_api.get(f"/{iccid}/usage", cycle_start=bad)
        assert answer.status_code == 422, bad
    assert "YYYY-MM-DD" in operator_api.get(f"/{iccid}/usage", cycle_start="2026-02-30").json()["detail"]
    plans = operator_api.get(f"/{iccid}/rate-plans")
    assert plans.json() == {
        "rate_plans": ["Alarm Panel 5MB", "Alarm Panel 20MB", "Alarm Panel Pooled 1GB", "Test Ready 20KB"]
    }


def test_a_status_change_is_queued_and_logged_with_the_tokens_name(
    operator_api: Api, carrier: Carrier, iccid: str, published: list[Message]
) -> None:
    carrier.load(iccid, "ACTIVATED")
    answer = operator_api.post(f"/{iccid}/status", {"status": "DEACTIVATED"})
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["description"] == f"Console: set SIM {iccid} to DEACTIVATED"
    assert body["status"] == "pending"
    assert published == [(body["execution_id"], "sim_console.request", "jasper", 0.0)]
    [logged] = _history(operator_api)
    assert (logged["id"], logged["type_no"], logged["operator"]) == (
        body["signal_id"],
        SIM_CONSOLE_ACTION,
        "api:receiver",
    )
    assert carrier.status(iccid) == "ACTIVATED"  # a worker makes the change


def test_refused_status_changes_are_explained_and_change_nothing(
    operator_api: Api, carrier: Carrier, iccid: str, published: list[Message]
) -> None:
    carrier.load(iccid, "ACTIVATED")
    before = snapshot()
    for body, status, words in [
        ({"status": "INVENTORY"}, 409, "may not move back to a pre-activation status (10000029)"),
        ({"status": "ACTIVATED"}, 409, "already ACTIVATED"),
        ({"status": "RETIRED"}, 422, None),  # retiring has its own admin call
        ({"status": "deactivated"}, 422, None),
        ({"status": "DEACTIVATED", "confirm": True}, 422, None),
        ({}, 422, None),
    ]:
        answer = operator_api.post(f"/{iccid}/status", body)
        assert answer.status_code == status, (body, answer.text)
        if words:
            assert words in answer.json()["detail"]
    assert operator_api.post(f"/{f.iccid(1)}/status", {"status": "DEACTIVATED"}).status_code == 404
    assert operator_api.post("/12ab/status", {"status": "DEACTIVATED"}).status_code == 422
    assert snapshot() == before
    assert published == []


def test_only_admin_tokens_retire_and_only_when_confirmed(
    operator_api: Api, admin_api: Api, iccid: str, published: list[Message]
) -> None:
    before = snapshot()
    refused = operator_api.post(f"/{iccid}/retire", {"confirm": True})
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "this call needs an API token with the admin role", "errors": []},
    )
    for body in ({}, {"confirm": False}, {"confirm": "yes"}):
        assert admin_api.post(f"/{iccid}/retire", body).status_code == 422, body
    assert snapshot() == before
    answer = admin_api.post(f"/{iccid}/retire", {"confirm": True})
    assert answer.status_code == 202, answer.text
    assert answer.json()["description"] == f"Console: set SIM {iccid} to RETIRED"
    assert _history(admin_api)[0]["operator"] == "api:admin-system"
    assert len(published) == 1


def test_an_sms_is_queued_and_bad_text_is_refused(
    operator_api: Api, iccid: str, published: list[Message]
) -> None:
    before = snapshot()
    for text in ("", "x" * 161, "nul \x00", "bell \x07"):
        assert operator_api.post(f"/{iccid}/sms", {"text": text}).status_code == 422, text
    blank = operator_api.post(f"/{iccid}/sms", {"text": "   "})
    assert (blank.status_code, blank.json()) == (
        422,
        {"detail": "the SMS text must not be empty", "errors": []},
    )
    assert snapshot() == before
    answer = operator_api.post(f"/{iccid}/sms", {"text": "wake up\nnow"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["description"] == f"Console: SMS to SIM {iccid}"
    assert len(published) == 1


def test_rate_plan_changes_are_for_admin_tokens_and_checked_against_the_carrier(
    operator_api: Api, admin_api: Api, iccid: str, published: list[Message]
) -> None:
    before = snapshot()
    refused = operator_api.post(f"/{iccid}/rate-plan", {"rate_plan": "Alarm Panel 20MB"})
    assert refused.status_code == 403
    unknown = admin_api.post(f"/{iccid}/rate-plan", {"rate_plan": "No Such Plan"})
    assert unknown.status_code == 422
    assert "offers no rate plan 'No Such Plan'" in unknown.json()["detail"]
    assert snapshot() == before
    answer = admin_api.post(f"/{iccid}/rate-plan", {"rate_plan": "Alarm Panel 20MB"})
    assert answer.status_code == 202, answer.text
    assert len(published) == 1


def test_carrier_failures_answer_502_or_503_with_the_reason_and_no_secret(
    app_client: TestClient, world: dict[str, str], carrier: Carrier, iccid: str, published: list[Message]
) -> None:
    wrong = "wr0ng-k3y-never-answered"
    [refused] = add_client(carrier.address, 302, code="S2", comm="Wrong key", api_key=wrong)
    [unreachable] = add_client(f"http://127.0.0.1:{free_port()}/rws/api/v1", 303, code="S3", comm="Down")
    headers = bearer(world["operator_token"])
    before = snapshot()
    answers = {
        "credentials": app_client.get(f"/api/clients/S2/sims/{refused}", headers=headers),
        "connect": app_client.get(f"/api/clients/S3/sims/{unreachable}/usage", headers=headers),
        "not sent": app_client.post(
            f"/api/clients/S3/sims/{unreachable}/status", headers=headers, json={"status": "ACTIVATED"}
        ),
    }
    assert answers["credentials"].status_code == 502
    assert answers["connect"].status_code == 503
    assert answers["not sent"].status_code == 503
    for words, answer in answers.items():
        detail = answer.json()["detail"]
        assert words in detail.lower(), (words, detail)
        assert wrong not in answer.text
        assert SIM_KEY not in answer.text
    carrier.script_error(iccid, "40000029")
    limited = app_client.get(f"/api/clients/S1/sims/{iccid}/rate-plans", headers=headers)
    assert limited.status_code == 200  # rate plans are not a call on the SIM: the scripted error waits
    throttled = app_client.get(f"/api/clients/S1/sims/{iccid}", headers=headers)
    assert throttled.status_code == 503
    assert "40000029" in throttled.json()["detail"]
    assert snapshot() == before
    assert published == []


def test_the_console_is_documented_in_openapi(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    base = "/api/clients/{code}/sims"
    expected = {
        base: {"get"},
        base + "/{iccid}": {"get"},
        base + "/{iccid}/usage": {"get"},
        base + "/{iccid}/rate-plans": {"get"},
        base + "/{iccid}/status": {"post"},
        base + "/{iccid}/retire": {"post"},
        base + "/{iccid}/sms": {"post"},
        base + "/{iccid}/rate-plan": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for operation in paths[path].values():
            assert operation["tags"] == ["SIM console"]
            assert operation["summary"], path
            assert operation["description"], path
            admin_only = path.rsplit("/", 1)[-1] in ADMIN_ONLY
            assert ("403" in operation["responses"]) == admin_only, path
    for path in (base + "/{iccid}", base + "/{iccid}/usage", base + "/{iccid}/status"):
        responses = next(iter(paths[path].values()))["responses"]
        assert {"502", "503"} <= set(responses), path
    assert "202" in paths[base + "/{iccid}/sms"]["post"]["responses"]
