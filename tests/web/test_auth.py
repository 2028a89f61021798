"""Logging in and out, sessions, and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import pytest
from fastapi.testclient import TestClient

from centre import login_guard, logins
from config import get_config
from models import utcnow
from models.db import unit_of_work
from tests.web.fixtures import ADMIN, OPERATOR, PASSWORD, Browser, bearer
from web.app import SESSION_COOKIE, create_app


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
        assert answer.headers["location"] == "/attention"  # the start page, never the other site


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


# -- sessions on the server, and guessing slowed down --------------------------------------------------


def _cookie(visitor: Browser) -> str:
    value = visitor.http.cookies.get(SESSION_COOKIE)
    assert value
    return value


def _with_cookie(app_client: TestClient, cookie: str) -> int:
    app_client.cookies.set(SESSION_COOKIE, cookie)
    try:
        return app_client.get("/clients", follow_redirects=False).status_code
    finally:
        app_client.cookies.clear()


def test_a_copy_of_the_cookie_no_longer_works_after_logout(admin: Browser, app_client: TestClient) -> None:
    """Before, logout only cleared the browser's cookie: a copy kept working and was renewed for ever."""
    admin.page("/clients")
    kept = _cookie(admin)
    assert _with_cookie(app_client, kept) == 200
    admin.post("/logout")
    assert _with_cookie(app_client, kept) == 303


def test_a_password_change_ends_every_session_of_the_login(
    browser: Callable[[str | None], Browser], app_client: TestClient
) -> None:
    first, second = browser(OPERATOR), browser(OPERATOR)
    copies = [_cookie(first), _cookie(second)]
    with unit_of_work() as session:
        account = logins.authenticate(session, OPERATOR, PASSWORD)
        assert account is not None
        logins.update(session, account, "test", new_password="another long password")
    assert [_with_cookie(app_client, cookie) for cookie in copies] == [303, 303]


def test_a_session_ends_after_its_lifetime_however_busy(admin: Browser) -> None:
    admin.page("/clients")
    later = utcnow() + login_guard.SESSION_LIFETIME + timedelta(seconds=1)
    with patch("centre.login_guard.utcnow", return_value=later):
        assert admin.http.get("/clients", follow_redirects=False).status_code == 303


def _login(visitor: Browser, username: str, password: str) -> Any:
    visitor.page("/login")
    return visitor.post("/login", {"username": username, "password": password})


def test_after_ten_failures_a_login_waits_before_any_password_is_checked(
    browser: Callable[[str | None], Browser],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before, there was no limit: guessing went on, and a flood of logins kept the CPU busy with
    scrypt (/healthz took 2.3 s during one)."""
    visitor = browser(None)
    for _ in range(login_guard.MAX_FAILURES):
        assert _login(visitor, OPERATOR, "a wrong guess").status_code == 400
    checked: list[str] = []
    real = logins.verify_password
    monkeypatch.setattr(logins, "verify_password", lambda *args: checked.append("x") or real(*args))
    refused = _login(visitor, OPERATOR, PASSWORD)  # even the right password, while it waits
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 5
    assert "Too many failed logins" in refused.text
    assert checked == []
    assert f"login failed for user name {OPERATOR!r} from" in caplog.text
    assert "a wrong guess" not in caplog.text
    # Another user name from the same address waits too; after the back-off the right password works.
    assert _login(browser(None), ADMIN, PASSWORD).status_code == 429
    later = utcnow() + timedelta(seconds=6)
    with patch("centre.login_guard.utcnow", return_value=later):
        assert _login(visitor, OPERATOR, PASSWORD).status_code == 303


@pytest.mark.parametrize(("failures", "wait_s"), [(9, None), (10, 5 - 1), (11, 10 - 1), (13, 40 - 1)])
def test_the_back_off_doubles_with_each_failure_beyond_the_limit(
    database: str, failures: int, wait_s: int | None
) -> None:
    now = utcnow()
    with unit_of_work() as session:
        for n in range(failures):  # the last one a second ago
            login_guard.failed(session, "someone", "192.0.2.7", now - timedelta(seconds=failures - n))
        by_name = login_guard.refusal(session, "someone", "198.51.100.1", now)
        by_address = login_guard.refusal(session, "another", "192.0.2.7", now)
        elsewhere = login_guard.refusal(session, "another", "198.51.100.1", now)
    expected = None if wait_s is None else login_guard.Refused(wait_s)
    assert (by_name, by_address, elsewhere) == (expected, expected, None)


def test_cookies_can_be_secure_only_and_pages_are_not_cached(
    monkeypatch: pytest.MonkeyPatch, world: dict[str, str]
) -> None:
    monkeypatch.setenv("COMMISSIONER_SECURE_COOKIES", "true")
    get_config.cache_clear()
    with TestClient(create_app()) as client:
        login_page = client.get("/login")
        assert "secure" in login_page.headers["set-cookie"].lower()
        assert login_page.headers["cache-control"] == "no-store"
        assert client.get("/api/clients").headers["cache-control"] == "no-store"
        assert "cache-control" not in client.get("/static/app.css").headers
