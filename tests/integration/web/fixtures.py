"""The web app as a real process (`commissioner web`) on the stack's database and broker, and Debian's
Chromium driven by Playwright. Nothing is downloaded: the browser is /usr/bin/chromium, and a missing
browser fails the tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from centre import logins
from cli.processes import free_port, stop, wait_until
from models.db import unit_of_work
from tests.integration.fixtures import Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
OPERATOR, ADMIN, PASSWORD = "olivia", "adam", "a long test password"
_EXPECTED_CONSOLE_ERROR = re.compile(r"^(Failed to load resource|Response Status Error Code 4\d\d from /)")


@dataclass
class WebApp:
    url: str
    log: Path

    def path(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def web(stack: Stack, tmp_path: Path) -> Iterator[WebApp]:
    """`commissioner web` on a free port, with login accounts for an operator and an admin."""
    with unit_of_work() as session:
        logins.add(session, OPERATOR, PASSWORD, logins.OPERATOR, "test")
        logins.add(session, ADMIN, PASSWORD, logins.ADMIN, "test")
    port = free_port()
    log = tmp_path / "web.log"
    with open(log, "wb") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "web", "--port", str(port)],
            env={**os.environ, **stack.env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the web app exited with code {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(healthy, 30, "the web app to answer")
        yield WebApp(url, log)
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context; fails the test if a page logs a script error (a CSP refusal, say)."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: (
            errors.append(f"{message.text} @ {message.location}")
            # An answer with an error status (the 403 an operator gets, a refusal htmx shows on the
            # page) is logged too; that is expected.
            if message.type == "error" and not _EXPECTED_CONSOLE_ERROR.match(message.text)
            else None
        ),
    )
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], errors


def log_in(page: Page, web: WebApp, username: str) -> None:
    """Log in with the keyboard only, as staff without a mouse would."""
    page.goto(web.path("/login"))
    # The user name field has the focus (autofocus), but a busy browser may give it after "load":
    # typing earlier would put the password in the user name field.
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    expect(page.get_by_label("Password")).to_have_value(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(web.path("/attention"))  # the operator's start page


def find_client(page: Page, code: str) -> None:
    """From any page: Clients in the navigation bar, search for ``code``, open it."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_label("Client code or name").fill(code)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=code, exact=True).click()
