"""The web app in-process (FastAPI's TestClient) on a fresh database, with accounts and a seeded client."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import api_tokens, clients, logins, sims
from centre.clients import ClientRef
from models import Base, Client, ExecutionStatus, TaskExecution
from models.db import unit_of_work
from pipeline import executions
from pipeline.outbox import Message
from tests import factories as f
from web.app import create_app

PASSWORD = "correct horse battery"
ADMIN = "alice"
OPERATOR = "oscar"
CLIENT = "C1"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    """A TestClient with a session, and the CSRF token of the last page it read."""

    http: TestClient
    csrf: str = ""

    def page(self, path: str) -> str:
        answer = self.http.get(path)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
        self._remember(answer.text)
        return answer.text

    def _remember(self, text: str) -> None:
        found = _CSRF.search(text)
        if found:
            self.csrf = found.group(1)

    def post(
        self, path: str, data: dict[str, str] | None = None, *, htmx: bool = False, csrf: bool = True
    ) -> Any:
        form = {**(data or {}), **({"csrf_token": self.csrf} if csrf else {})}
        headers = {"HX-Request": "true"} if htmx else {}
        answer = self.http.post(path, data=form, headers=headers, follow_redirects=False)
        self._remember(answer.text)
        return answer

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        self.page("/login")
        answer = self.post("/login", {"username": username, "password": password, "next": "/clients"})
        assert answer.status_code == 303, answer.text[:500]


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheaper scrypt in tests (each hash keeps its parameters, so verification is unchanged)."""
    monkeypatch.setattr(logins, "_LOG2_N", 10)


@pytest.fixture
def world(database: str, published: list[Message], fast_password_hashing: None) -> dict[str, str]:
    """Accounts (admin, operator), API tokens (admin, operator) and a seeded client C1 with one SIM."""
    with unit_of_work() as session:
        logins.add(session, ADMIN, PASSWORD, logins.ADMIN, "test")
        logins.add(session, OPERATOR, PASSWORD, logins.OPERATOR, "test")
        _row, admin_token = api_tokens.add(session, "admin-system", logins.ADMIN, "test")
        _row, operator_token = api_tokens.add(session, "receiver", logins.OPERATOR, "test")
        f.seeded_client(session, CLIENT, 1)
    return {"admin_token": admin_token, "operator_token": operator_token}


@pytest.fixture
def app(world: dict[str, str]) -> FastAPI:
    return create_app()


@pytest.fixture
def app_client(app: FastAPI) -> Iterator[TestClient]:
    """A client without a session, for the JSON API."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def browser(app: FastAPI) -> Iterator[Callable[[str | None], Browser]]:
    """A new browser session per call, logged in as the given account (None: not logged in)."""
    with ExitStack() as stack:

        def make(username: str | None = ADMIN) -> Browser:
            session = Browser(stack.enter_context(TestClient(app)))
            if username is not None:
                session.log_in(username)
            return session

        yield make


@pytest.fixture
def admin(browser: Callable[[str | None], Browser]) -> Browser:
    return browser(ADMIN)


@pytest.fixture
def operator(browser: Callable[[str | None], Browser]) -> Browser:
    return browser(OPERATOR)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def dump(session: Session) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (API tokens without their last-used time; not the carriers' pacing
    slots, which every carrier call moves, read or refused): proof that nothing changed."""
    tables: dict[str, list[tuple[object, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "pacing_slot":
            continue
        columns = [c for c in table.columns if (table.name, c.name) != ("api_token", "last_used_at")]
        rows = session.execute(select(*columns)).all()
        tables[table.name] = sorted((tuple(repr(v) for v in row) for row in rows), key=str)
    return tables


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    with unit_of_work() as session:
        return dump(session)


def client_id(code: str = CLIENT) -> int:
    with unit_of_work() as session:
        return clients.find(session, ClientRef(code)).id


def failed_execution(code: str = CLIENT, error: str = "Control Center: invalid ICCID (20000001)") -> int:
    """Commission ``code`` and fail its execution as a worker would; returns the execution id."""
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        clients.commission(session, client, "test")
    with unit_of_work() as session:
        execution_id = session.scalars(
            select(TaskExecution.id)
            .where(TaskExecution.client_id == client.id)
            .order_by(TaskExecution.id.desc())
        ).first()
        assert execution_id is not None
        claim = executions.claim(session, execution_id)
        assert claim is not None
    with unit_of_work() as session:
        assert executions.complete(session, claim, ExecutionStatus.FAILED, error, error_code="20000001")
    return execution_id


def failed_console_request(code: str, options: dict[str, Any], operator: str = "alice") -> int:
    """An admin's SIM console request on the client's SIM, failed by the carrier as a worker records it;
    returns the execution id."""
    # Imported here: a feature's service, which the web fixtures need for this helper only.
    from features.sim_console import service as sim_console

    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        sim = sims.find(session, client)
        execution_id = sim_console.request(
            session, client, sim, options, operator, admin=True, confirmed=True
        ).id
    with unit_of_work() as session:
        claim = executions.claim(session, execution_id)
        assert claim is not None
    with unit_of_work() as session:
        executions.complete(
            session, claim, ExecutionStatus.FAILED, "failed: carrier down", error_code="30000001"
        )
    return execution_id


def client_row(code: str = CLIENT) -> Client:
    with unit_of_work() as session:
        return clients.find(session, ClientRef(code))


def page_routes() -> list[tuple[str, str]]:
    """(method, path) of every page route, admin pages with their /admin prefix.

    Listed by module: FastAPI's included routers do not expose their routes' full paths.
    """
    from web.pages import PAGE_MODULES
    from web.pages import admin as admin_pages

    found = []
    routers = [("", module.router) for module in PAGE_MODULES]
    routers += [("/admin", module.router) for module in admin_pages.MODULES]
    for prefix, router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                found.extend((method, prefix + route.path) for method in route.methods)
    return sorted(found)
