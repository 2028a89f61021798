"""The client's Receiver tab: admins set the account (the AES key never comes back), operators read."""

from __future__ import annotations

from tests.web.fixtures import Browser, client_id, snapshot

KEY = "00112233445566778899AABBCCDDEEFF"


def test_an_admin_sets_the_receiver_account_and_the_key_stays_hidden(admin: Browser) -> None:
    path = f"/clients/{client_id()}/receiver"
    assert "has no receiver account" in admin.page(path)
    form = {
        "account": "5a01",
        "receiver": "1",
        "line": "",
        "encrypted": "true",
        "aes_key": KEY,
        "test_interval": "60",
    }
    answer = admin.post(path, form)
    assert answer.status_code == 303
    page = admin.page(path)
    assert "5A01" in page
    assert "AES (key set)" in page
    assert "every 60 min" in page
    assert KEY not in page
    # Saved again without typing the key: the stored one is kept.
    assert admin.post(path, {**form, "aes_key": "", "test_interval": ""}).status_code == 303
    assert "AES (key set)" in admin.page(path)


def test_bad_input_shows_the_form_again_without_the_key_and_changes_nothing(admin: Browser) -> None:
    path = f"/clients/{client_id()}/receiver"
    admin.page(path)
    before = snapshot()
    answer = admin.post(path, {"account": "5A01", "encrypted": "true", "aes_key": KEY + "Z"})
    assert answer.status_code == 400
    assert "16, 24 or 32 hexadecimal" in answer.text
    assert KEY not in answer.text
    assert snapshot() == before


def test_operators_read_but_cannot_change(operator: Browser) -> None:
    path = f"/clients/{client_id()}/receiver"
    page = operator.page(path)
    assert '<form method="post"' not in page
    before = snapshot()
    assert operator.post(path, {"account": "5A01"}).status_code == 403
    assert snapshot() == before
