"""The webhook endpoints page: admins add, change and remove endpoints (the secret written once, stored
encrypted, never shown), bad input changes nothing, operators are refused, and the page's receiver
check verifies a real delivery's signature."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest
from sqlalchemy import select

from config import secrets
from features.webhooks import delivery
from models import OperatorLog, WebhookEndpoint
from models.db import unit_of_work
from tests import factories as f
from tests.web.fixtures import Browser, snapshot

PAGE = "/admin/webhooks"
SECRET = "s3cret-shared-with-the-crm"
OTHER_SECRET = "another-secret-0123456789"
URL = "https://crm.example.com/hooks/commissioner"


def _add(admin: Browser, name: str = "crm", url: str = URL, secret: str = SECRET) -> Any:
    admin.page(PAGE)
    return admin.post(PAGE, {"name": name, "url": url, "secret": secret})


def _stored(name: str = "crm") -> tuple[str, str] | None:
    """The endpoint's address and decrypted secret, or None."""
    with unit_of_work() as session:
        row = session.get(WebhookEndpoint, name)
        if row is None:
            return None
        assert SECRET not in row.secret_encrypted
        assert OTHER_SECRET not in row.secret_encrypted
        return row.url, secrets.decrypt(row.secret_encrypted)


def test_configuration_links_to_the_page(admin: Browser) -> None:
    assert f'href="{PAGE}"' in admin.page("/admin")


def test_an_admin_adds_an_endpoint_whose_secret_is_never_shown(admin: Browser) -> None:
    assert "No webhook endpoint yet." in admin.page(PAGE)
    answer = _add(admin)
    assert answer.status_code == 303
    assert answer.headers["location"] == PAGE
    page = admin.page(PAGE)
    assert f"Webhook endpoint crm added: it posts to {URL}." in page
    assert 'id="endpoint-crm"' in page
    assert URL in page
    assert "set (stored encrypted, never shown)" in page
    assert SECRET not in page
    assert _stored() == (URL, SECRET)
    with unit_of_work() as session:
        logged = session.scalars(select(OperatorLog.operator).where(OperatorLog.action == "webhook.set"))
        assert list(logged) == ["alice"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "bad name!"}, "endpoint name &#39;bad name!&#39; must be 1 to 64 letters"),
        ({"name": ""}, "endpoint name &#39;&#39; must be 1 to 64 letters"),
        ({"url": "ftp://crm.example.com/x"}, "must be an https:// address with a host"),
        ({"url": "crm.example.com"}, "must be an https:// address with a host"),
        ({"url": "https://user:pw@crm.example.com/x"}, "must not carry a user name or password"),
        ({"url": "https://crm.example.com:99999/x"}, "is not a valid address"),
        ({"url": "https://crm.example.com/" + "x" * 500}, "at most 500 characters"),
        ({"secret": "too short"}, "the webhook secret must be 16 to 512 characters"),
        ({"secret": ""}, "the webhook secret must be 16 to 512 characters"),
        ({"secret": "x" * 513}, "the webhook secret must be 16 to 512 characters"),
        ({"name": "a\x00b"}, "endpoint name must not contain a NUL character"),
    ],
)
def test_a_bad_endpoint_is_refused_next_to_its_field_and_changes_nothing(
    admin: Browser, form: dict[str, str], message: str
) -> None:
    admin.page(PAGE)
    before = snapshot()
    answer = admin.post(PAGE, {"name": "crm", "url": URL, "secret": SECRET} | form)
    assert answer.status_code == 422
    assert message in answer.text
    assert 'class="field-error"' in answer.text
    assert SECRET not in answer.text  # a secret is never put back into the form
    assert snapshot() == before


def test_a_name_taken_is_refused_not_replaced(admin: Browser) -> None:
    assert _add(admin).status_code == 303
    before = snapshot()
    answer = _add(admin, url="https://elsewhere.example.com/h", secret=OTHER_SECRET)
    assert answer.status_code == 422
    assert "a webhook endpoint named &#39;crm&#39; exists already" in answer.text
    assert snapshot() == before
    assert _stored() == (URL, SECRET)


def test_an_admin_changes_the_secret_or_the_address_with_the_secret(admin: Browser) -> None:
    assert _add(admin).status_code == 303
    edit = f"{PAGE}/crm"
    # The secret alone, the address kept.
    assert admin.post(edit, {"url": URL, "secret": OTHER_SECRET}).status_code == 303
    assert _stored() == (URL, OTHER_SECRET)
    # A new address without the secret: refused, nothing changed.
    before = snapshot()
    answer = admin.post(edit, {"url": "https://elsewhere.example.com/h", "secret": ""})
    assert answer.status_code == 422
    assert "a new address needs the webhook secret again" in answer.text
    assert '<details class="admin-box" open>' in answer.text  # the form it is about, opened
    assert snapshot() == before
    # With it: moved.
    assert admin.post(edit, {"url": "https://elsewhere.example.com/h", "secret": SECRET}).status_code == 303
    assert _stored() == ("https://elsewhere.example.com/h", SECRET)
    # Saved unchanged (no secret, same address): still works, nothing lost.
    assert admin.post(edit, {"url": "https://elsewhere.example.com/h"}).status_code == 303
    assert _stored() == ("https://elsewhere.example.com/h", SECRET)
    # A bad address is refused as on the add form.
    before = snapshot()
    answer = admin.post(edit, {"url": "ftp://x", "secret": OTHER_SECRET})
    assert answer.status_code == 422
    assert "must be an https:// address" in answer.text
    assert OTHER_SECRET not in answer.text
    assert snapshot() == before


def test_removing_needs_the_tick_and_an_unknown_endpoint_is_a_404(admin: Browser) -> None:
    assert _add(admin).status_code == 303
    before = snapshot()
    answer = admin.post(f"{PAGE}/crm/remove", {})
    assert answer.status_code == 422
    assert "removing endpoint crm cannot be undone: tick the box to confirm" in answer.text
    assert snapshot() == before
    assert admin.post(f"{PAGE}/crm/remove", {"confirm": "true"}).status_code == 303
    assert _stored() is None
    assert "Webhook endpoint crm removed." in admin.page(PAGE)
    before = snapshot()
    assert admin.post(f"{PAGE}/crm/remove", {"confirm": "true"}).status_code == 404
    assert admin.post(f"{PAGE}/crm", {"url": URL, "secret": SECRET}).status_code == 404
    assert snapshot() == before


def test_the_page_says_which_assignments_use_an_endpoint(admin: Browser) -> None:
    assert _add(admin).status_code == 303
    with unit_of_work() as session:
        task = f.task(session, 77, type_="webhook")
        f.response_plan(session, "Tell the CRM", (task, {"endpoint": "crm"}))
    page = admin.page(PAGE)
    assert "<dt>Used by</dt><dd>1 task assignment</dd>" in page
    assert "1 task assignment names this endpoint" in page


def test_an_operator_is_refused_even_with_a_crafted_post(admin: Browser, operator: Browser) -> None:
    assert _add(admin).status_code == 303
    answer = operator.http.get(PAGE)
    assert answer.status_code == 403
    assert URL not in answer.text
    operator.page("/clients")
    before = snapshot()
    for path, form in [
        (PAGE, {"name": "evil", "url": "https://evil.example.com/", "secret": OTHER_SECRET}),
        (f"{PAGE}/crm", {"url": "https://evil.example.com/", "secret": OTHER_SECRET}),
        (f"{PAGE}/crm/remove", {"confirm": "true"}),
    ]:
        answer = operator.post(path, form)
        assert answer.status_code == 403, path
        assert "for admins" in answer.text
    assert snapshot() == before


def test_the_receiver_check_shown_on_the_page_verifies_a_real_delivery(admin: Browser) -> None:
    page = admin.page(PAGE)
    found = re.search(r'<pre class="mono code-sample"><code>(.*?)</code></pre>', page, re.S)
    assert found is not None
    scope: dict[str, Any] = {}
    exec(html.unescape(found.group(1)), scope)  # noqa: S102 - the page's own sample, run as a reader would
    verify = scope["verify"]
    body = b'{"signal":{"id":1},"client":{"code":"C1"}}'
    timestamp = str(int(time.time()))
    headers = {
        "X-Commissioner-Timestamp": timestamp,
        "X-Commissioner-Signature": delivery.signature(SECRET, timestamp, body),
    }
    assert verify(SECRET.encode(), headers, body) is True
    assert verify(SECRET.encode(), headers, body + b" ") is False
    assert verify(b"not the secret", headers, body) is False
    stale = str(int(timestamp) - 3600)
    old = {
        "X-Commissioner-Timestamp": stale,
        "X-Commissioner-Signature": delivery.signature(SECRET, stale, body),
    }
    assert verify(SECRET.encode(), old, body) is False
