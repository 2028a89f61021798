"""The communicator type form takes a SOAP account's password and licence key: write-only, both needed."""

from __future__ import annotations

import pytest

from carriers.accounts import account_of
from centre import communicator_types
from models.db import unit_of_work
from tests.web.fixtures import Browser

PASSWORD, LICENSE = "form-pa55word-never-shown", "form-licence-never-shown"
FORM = {
    "name": "Carrier SOAP",
    "kind": "jasper-soap",
    "server_address": "https://cc.example.test/ws/service",
    "user_name": "centre-api",
    "calls_per_second": "1",
}


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_form_adds_a_soap_type_and_never_sends_its_secrets_back(admin: Browser) -> None:
    page = admin.page("/admin/communicator-types")
    assert 'name="password"' in page
    assert 'name="license_key"' in page

    lacking = admin.post("/admin/communicator-types", {**FORM, "password": PASSWORD})
    assert lacking.status_code == 422
    assert "licence key must not be empty" in lacking.text
    assert PASSWORD not in lacking.text

    added = admin.post("/admin/communicator-types", {**FORM, "password": PASSWORD, "license_key": LICENSE})
    assert added.status_code == 303
    with unit_of_work() as session:
        comm = communicator_types.get_by_name(session, "Carrier SOAP")
        assert account_of(comm).secrets == {"password": PASSWORD, "license_key": LICENSE}
        edit = admin.page(f"/admin/communicator-types/{comm.id}")
    assert 'name="license_key" type="password" value=""' in edit
    assert 'name="api_key"' not in edit
    assert PASSWORD not in edit
    assert LICENSE not in edit
