"""Random forms to every page: never a 5xx, and a refused form (any 4xx) changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.fixtures import Browser, client_id, failed_execution, page_routes, snapshot

FIELDS = [
    "name", "code", "area", "port", "template", "reason", "offline", "memo", "communicator_type",
    "device_ref_no", "dealer", "kind", "server_address", "user_name", "api_key", "calls_per_second",
    "task_no", "type", "description", "system_account", "enabled", "parent", "type_no", "action_plan",
    "priority", "default_response_plan", "user", "position", "options", "response_plan", "client_code",
    "is_global", "username", "password", "role", "active", "value", "client_id",
]  # fmt: skip
NASTY = [
    "", " ", "0", "-1", "2147483648", "99999999999", "1e400", "nan", "inf", "true", "false",
    "[", "http://[x/rws/api/v1", "https://cc.example/rws/api/v1", "\x00", "a\x00b", "line\nbreak",
    "C1", "SYSEVENTS", "Jasper", "Commission", "Decommission", "jasper", "admin", "operator",
    "Command Type = Activate", "Command Type", "=", "x" * 600, "8988216716970000001", "🚨", "' OR 1=1 --",
    "--5", "²", "٣", "1_000", "+7", " 12 ",
]  # fmt: skip
values = st.one_of(st.sampled_from(NASTY), st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
forms = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)


def test_random_forms_never_crash_and_refusals_change_nothing(admin: Browser) -> None:
    failed_execution()
    admin.page("/clients")
    raw = [p for m, p in page_routes() if m == "POST" and p not in ("/login", "/logout")]
    fixed = {"client_id": str(client_id()), "name": "default_commission_date_to_current_time"}
    statuses: dict[int, int] = {}

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        route=st.sampled_from(raw), form=forms, an_id=st.sampled_from(["1", "2", "3", "999", "2147483647"])
    )
    def fuzz(route: str, form: dict[str, str], an_id: str) -> None:
        path = route
        for name, value in fixed.items():
            path = path.replace("{" + name + "}", value)
        while "{" in path:
            start = path.index("{")
            path = path[:start] + an_id + path[path.index("}") + 1 :]
        before = snapshot()
        answer = admin.post(path, form)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        assert answer.status_code < 500, (path, form, answer.text[:300])
        if answer.status_code >= 400:
            assert snapshot() == before, (path, form, answer.status_code)

    fuzz()
    assert {303, 404, 422} <= set(statuses), statuses


def test_random_queries_never_crash(admin: Browser) -> None:
    gets = [p for m, p in page_routes() if m == "GET"]

    @settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        route=st.sampled_from(gets),
        query=st.dictionaries(st.sampled_from(["q", "after_id", "next"]), values, max_size=2),
    )
    def fuzz(route: str, query: dict[str, str]) -> None:
        path = route.replace("{client_id}", str(client_id()))
        while "{" in path:
            path = path[: path.index("{")] + "1" + path[path.index("}") + 1 :]
        answer = admin.http.get(path, params=query)
        assert answer.status_code < 500, (path, query, answer.text[:300])

    fuzz()
