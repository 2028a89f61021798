"""Every page form needs the session's CSRF token: a POST without it is refused and changes nothing."""

from __future__ import annotations

import pytest

from tests.web.fixtures import Browser, client_id, failed_execution, page_routes, snapshot


def _page_posts() -> list[str]:
    """Every POST route of the pages, with the path parameters' braces dropped (filled in below)."""
    paths = {path for method, path in page_routes() if method == "POST"}
    paths = {p.replace("{name}", "default_commission_date_to_current_time") for p in paths}
    return sorted(p.replace("{", "").replace("}", "") for p in paths)


def _fill(path: str, ids: dict[str, int]) -> str:
    for name, value in ids.items():
        path = path.replace(name, str(value))
    return path


def test_every_page_post_without_the_token_is_refused_and_changes_nothing(admin: Browser) -> None:
    execution_id = failed_execution()
    ids = {"client_id": client_id(), "execution_id": execution_id}
    for name in ("comm_id", "task_id", "owner_id", "event_type_id", "plan_id", "entry_id", "assignment_id"):
        ids[name] = 1
    ids |= {"override_id": 1, "user_id": 1, "account_id": 1, "token_id": 1}
    form = {
        "reason": "moved",
        "offline": "true",
        "name": "New",
        "code": "NEW1",
        "value": "true",
        "username": "mallory",
        "password": "long enough password",
        "role": "admin",
    }
    posts = _page_posts()
    assert len(posts) > 25
    before = snapshot()
    for path in posts:
        if path in ("/login", "/logout"):
            continue
        target = _fill(path, ids)
        answer = admin.post(target, form, csrf=False)
        assert answer.status_code == 403, (target, answer.status_code)
        assert "security token" in answer.text
        wrong = admin.http.post(target, data={**form, "csrf_token": "x" * 43}, follow_redirects=False)
        assert wrong.status_code == 403, target
    assert snapshot() == before


def test_login_and_logout_forms_need_the_token_too(admin: Browser) -> None:
    assert admin.post("/logout", csrf=False).status_code == 403
    assert admin.http.get("/clients", follow_redirects=False).status_code == 200  # still logged in
    assert admin.post("/login", {"username": "alice", "password": "x"}, csrf=False).status_code == 403


def test_htmx_sends_the_token_in_a_header(admin: Browser) -> None:
    page = admin.page(f"/clients/{client_id()}")
    assert f'hx-headers=\'{{"X-CSRF-Token": "{admin.csrf}"}}\'' in page
    answer = admin.http.post(
        f"/clients/{client_id()}/commission",
        headers={"X-CSRF-Token": admin.csrf, "HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "commissioned" in answer.text


@pytest.mark.parametrize("token", ["", "wrong"])
def test_a_wrong_header_token_is_refused(admin: Browser, token: str) -> None:
    admin.page("/clients")
    before = snapshot()
    answer = admin.http.post(
        f"/clients/{client_id()}/commission", headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert answer.status_code == 403
    assert snapshot() == before


def test_the_token_of_another_session_is_refused(admin: Browser, operator: Browser) -> None:
    admin.page("/clients")
    operator.page("/clients")
    before = snapshot()
    answer = operator.http.post(
        f"/clients/{client_id()}/commission", data={"csrf_token": admin.csrf}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert snapshot() == before
