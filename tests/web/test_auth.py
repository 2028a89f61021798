"""Logging in and out, sessions, and API tokens."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from centre import logins
from models.db import unit_of_work
from tests.web.fixtures import ADMIN, OPERATOR, PASSWORD, Browser, bearer


@pytest.fixture
def database(sqlite_database: str) -> str:
    """Sessions and tokens do not depend on the backend: SQLite only."""
    return sqlite_database


def test_pages_send_a_visitor_without_a_session_to_the_login_page(app_client: TestClient) -> None:
    for path in ("/clients", "/clients/1", "/admin", "/admin/communicator-types"):
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")


def test_htmx_polling_without_a_session_is_told_to_go_to_the_login_page(app_client: TestClient) -> None:
    answer = app_client.get("/clients/1/history/rows", headers={"HX-Request": "true"})
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"].startswith("/login")


def test_login_with_the_right_password_opens_the_page_asked_for(
    browser: Callable[[str | None], Browser],
) -> None:
    visitor = browser(None)
    visitor.page("/login?next=/admin/tasks")
    answer = visitor.post("/login", {"username": ADMIN, "password": PASSWORD, "next": "/admin/tasks"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin/tasks")
    assert "Tasks" in visitor.page("/admin/tasks")


def test_login_never_redirects_to_another_site(browser: Callable[[str | None], Browser]) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        visitor = browser(None)
        visitor.page("/login")
        answer = visitor.post("/login", {"username": ADMIN, "password": PASSWORD, "next": target})
        assert answer.headers["location"] == "/clients"


def test_a_wrong_password_or_unknown_name_is_refused_with_one_message(
    browser: Callable[[str | None], Browser],
) -> None:
    for username, password in ((ADMIN, "wrong password"), ("nobody", PASSWORD), ("", "")):
        visitor = browser(None)
        visitor.page("/login")
        answer = visitor.post("/login", {"username": username, "password": password})
        assert answer.status_code == 400
        assert "The user name or password is wrong" in answer.text
        assert visitor.http.get("/clients", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(admin: Browser) -> None:
    admin.page("/clients")
    assert admin.post("/logout").status_code == 303
    assert admin.http.get("/clients", follow_redirects=False).status_code == 303


def test_a_deactivated_account_is_logged_out_and_cannot_log_in(
    browser: Callable[[str | None], Browser],
) -> None:
    operator = browser(OPERATOR)
    with unit_of_work() as session:
        found = next(a for a in logins.list_all(session) if a.username == OPERATOR)
        logins.update(session, found, "test", active=False)
    assert operator.http.get("/clients", follow_redirects=False).status_code == 303
    visitor = browser(None)
    visitor.page("/login")
    assert visitor.post("/login", {"username": OPERATOR, "password": PASSWORD}).status_code == 400


def test_a_password_change_ends_the_other_sessions(browser: Callable[[str | None], Browser]) -> None:
    operator = browser(OPERATOR)
    with unit_of_work() as session:
        found = next(a for a in logins.list_all(session) if a.username == OPERATOR)
        logins.update(session, found, "test", new_password="a new password")
    assert operator.http.get("/clients", follow_redirects=False).status_code == 303
    browser(None).log_in(OPERATOR, "a new password")


def test_passwords_are_stored_as_salted_scrypt_hashes(
    world: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logins, "_LOG2_N", 15)  # the production cost (tests use a cheaper one)
    assert logins.hash_password(PASSWORD).startswith("scrypt$15$8$1$")
    with unit_of_work() as session:
        stored = [a.password_hash for a in logins.list_all(session)]
    assert all(h.startswith("scrypt$") and PASSWORD not in h for h in stored)
    assert len(set(stored)) == len(stored)  # same password, different salts
    assert logins.verify_password(stored[0], PASSWORD)
    assert not logins.verify_password(stored[0], PASSWORD + "x")
    assert not logins.verify_password("not a hash", PASSWORD)


def test_the_session_cookie_is_signed_and_http_only(browser: Callable[[str | None], Browser]) -> None:
    visitor = browser(None)
    visitor.page("/login")
    answer = visitor.post("/login", {"username": ADMIN, "password": PASSWORD})
    cookie = answer.headers["set-cookie"]
    assert "commissioner_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    value = cookie.split("=", 1)[1].split(";")[0]
    visitor.http.cookies.clear()
    visitor.http.cookies.set("commissioner_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert visitor.http.get("/clients", follow_redirects=False).status_code == 303


def test_the_api_needs_a_valid_bearer_token(app_client: TestClient, world: dict[str, str]) -> None:
    missing = app_client.get("/api/clients")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert app_client.get("/api/clients", headers=bearer("cmr_not-a-token")).status_code == 401
    assert app_client.get("/api/clients", headers={"Authorization": "Basic YTpi"}).status_code == 401
    assert app_client.get("/api/clients", headers=bearer(world["operator_token"])).status_code == 200


def test_the_api_does_not_accept_the_session_cookie(admin: Browser) -> None:
    # So a page on another site cannot make a logged-in browser call the API (no CSRF token there).
    assert admin.http.get("/api/clients").status_code == 401


def test_api_tokens_are_stored_hashed_and_note_their_last_use(
    app_client: TestClient, world: dict[str, str]
) -> None:
    from centre import api_tokens

    app_client.get("/api/clients", headers=bearer(world["operator_token"]))
    with unit_of_work() as session:
        rows = {t.name: t for t in api_tokens.list_all(session)}
    assert rows["receiver"].last_used_at is not None
    assert all(world["operator_token"] not in t.token_hash for t in rows.values())
    assert len(rows["receiver"].token_hash) == 64
