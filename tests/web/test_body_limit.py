"""Request bodies over the app's limit are refused, declared or streamed, and change nothing."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.web.fixtures import Browser, bearer, snapshot
from web.app import MAX_BODY_BYTES

CHUNK = b"x" * (1024 * 1024)


def chunks(total: int) -> Iterator[bytes]:
    """A body streamed without a Content-Length (chunked), ``total`` bytes."""
    sent = 0
    while sent < total:
        part = CHUNK[: total - sent]
        sent += len(part)
        yield part


def test_a_declared_oversized_body_is_refused_before_it_is_read(
    app_client: TestClient, world: dict[str, str]
) -> None:
    before = snapshot()
    headers = bearer(world["admin_token"]) | {"Content-Length": str(MAX_BODY_BYTES + 1)}

    answer = app_client.post("/api/signals", content=b"{}", headers=headers)

    assert answer.status_code == 413
    assert answer.json() == {
        "detail": "The request body is larger than 16 MB; nothing was changed.",
        "errors": [],
    }
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert snapshot() == before


def test_a_streamed_oversized_body_is_refused(app_client: TestClient, world: dict[str, str]) -> None:
    before = snapshot()
    headers = bearer(world["admin_token"]) | {"Content-Type": "application/json"}

    answer = app_client.post("/api/signals", content=chunks(MAX_BODY_BYTES + 1), headers=headers)

    assert answer.status_code == 413
    assert snapshot() == before


def test_a_page_gets_the_refusal_as_an_error_page(admin: Browser) -> None:
    before = snapshot()

    answer = admin.http.post(
        "/bulk",
        content=chunks(MAX_BODY_BYTES + len(CHUNK)),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )

    assert answer.status_code == 413
    assert "The request body is larger than 16 MB; nothing was changed." in answer.text
    assert snapshot() == before


def test_a_body_at_the_limit_goes_through(app_client: TestClient, world: dict[str, str]) -> None:
    # Not JSON the API can use, so it is refused, but by the API (422), after reading all of it.
    answer = app_client.post(
        "/api/signals",
        content=chunks(MAX_BODY_BYTES),
        headers=bearer(world["admin_token"]) | {"Content-Type": "application/json"},
    )

    assert answer.status_code == 422
