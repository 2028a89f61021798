"""Each platform's secrets: given whole, encrypted at rest, never read back, bound to the address; on
every edge (the centre's service, the command line, the JSON API)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carriers.accounts import account_of
from centre import communicator_types
from centre.errors import InvalidInput
from cli.main import cli
from models import CommunicatorType
from models.db import unit_of_work
from pipeline.outbox import Message
from tests import factories as f
from tests.web.fixtures import bearer

SOAP = "https://cc.example.test/ws/service"
PASSWORD, LICENSE = "soap-pa55word-never-shown", "lic-k3y-never-shown"


def add_soap(session: Session, name: str = "Jasper SOAP") -> CommunicatorType:
    secret = {"password": PASSWORD, "license_key": LICENSE}
    return communicator_types.add(session, name, SOAP, f.API_USER, secret, f.OPERATOR, "jasper-soap")


def test_soap_secrets_are_stored_in_one_encrypted_token_and_read_back_by_name(session: Session) -> None:
    comm = add_soap(session)
    assert PASSWORD not in comm.api_key_encrypted
    assert LICENSE not in comm.api_key_encrypted
    account = account_of(comm)
    assert account.secrets == {"password": PASSWORD, "license_key": LICENSE}
    assert account.secret == PASSWORD
    assert PASSWORD not in repr(account)
    assert LICENSE not in repr(comm)
    rest = account_of(f.jasper_type(session))
    assert (rest.secret, rest.secrets) == (f.API_KEY, {"api_key": f.API_KEY})


@pytest.mark.parametrize(
    ("secret", "words"),
    [
        ({"password": PASSWORD}, "licence key must not be empty"),
        ({"password": PASSWORD, "license_key": LICENSE, "api_key": "x"}, "has no secret api_key"),
        ("just-one", "each by name"),
    ],
)
def test_a_soap_type_needs_exactly_its_secrets(session: Session, secret: object, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        communicator_types.add(session, "S", SOAP, f.API_USER, secret, f.OPERATOR, "jasper-soap")  # type: ignore[arg-type]
    assert session.scalar(select(func.count()).select_from(CommunicatorType)) == 0


def test_moving_a_soap_type_needs_both_secrets_again(session: Session) -> None:
    comm = add_soap(session)
    with pytest.raises(InvalidInput, match="enter the password and licence key again"):
        communicator_types.update(
            session, comm, f.OPERATOR, server_address="https://other.example.test/ws/service"
        )
    assert comm.server_address == SOAP
    communicator_types.update(
        session,
        comm,
        f.OPERATOR,
        server_address="https://other.example.test/ws/service",
        secret={"password": "new-pass", "license_key": "new-lic"},
    )
    assert account_of(comm).secrets == {"password": "new-pass", "license_key": "new-lic"}


def test_the_command_line_reads_password_then_licence_key_from_stdin(
    sqlite_database: str, published: list[Message]
) -> None:
    args = ["communicator-type", "add", "Jasper SOAP", "--kind", "jasper-soap"]
    args += ["--server-address", SOAP, "--user-name", f.API_USER]
    result = CliRunner().invoke(cli, ["--operator", "tester", *args], input=f"{PASSWORD}\n{LICENSE}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert LICENSE not in result.output
    missing = CliRunner().invoke(cli, [*args[:2], "Other", *args[3:]], input=f"{PASSWORD}\n")
    assert missing.exit_code != 0
    assert "licence key must not be empty" in missing.output
    with unit_of_work() as session:
        [comm] = communicator_types.list_all(session)
        assert account_of(comm).secrets == {"password": PASSWORD, "license_key": LICENSE}


def test_the_json_api_takes_the_same_fields_and_never_answers_them(
    app_client: TestClient, world: dict[str, str]
) -> None:
    headers = bearer(world["admin_token"])
    body = {
        "name": "Carrier SOAP",
        "kind": "jasper-soap",
        "server_address": SOAP,
        "user_name": "u",
        "password": PASSWORD,
        "license_key": LICENSE,
    }
    created = app_client.post("/api/communicator-types", headers=headers, json=body)
    assert created.status_code == 201, created.text
    comm_id = created.json()["id"]
    half = app_client.patch(f"/api/communicator-types/{comm_id}", headers=headers, json={"user_name": "v"})
    lacking = app_client.post(
        "/api/communicator-types", headers=headers, json={**body, "name": "B", "license_key": None}
    )
    listed = app_client.get("/api/communicator-types", headers=headers)
    assert (half.status_code, lacking.status_code, listed.status_code) == (422, 422, 200)
    for answer in (created, half, lacking, listed):
        assert PASSWORD not in answer.text
        assert LICENSE not in answer.text
    assert "licence key" in lacking.json()["detail"]
    assert "password" not in json.dumps(listed.json())


@pytest.mark.parametrize(
    ("kind", "example"),
    [
        ("jasper-rest", "/rws/api/v1"),
        ("jasper-soap", "/ws/service"),
        ("emnify", "/api/v1"),
        ("supersim", "/v1"),
    ],
)
def test_an_address_without_its_path_is_refused_with_the_platform_s_own_example(
    session: Session, kind: str, example: str
) -> None:
    """Before, every platform's refusal gave Control Center REST's path as the example, SOAP's too."""
    secret = {"password": PASSWORD, "license_key": LICENSE} if kind == "jasper-soap" else "s3cret"
    with pytest.raises(InvalidInput, match=f"e.g. https://carrier.example.test{example}$"):
        communicator_types.add(
            session, "No path", "https://carrier.example.test", "user", secret, f.OPERATOR, kind
        )
    assert session.scalar(select(func.count()).select_from(CommunicatorType)) == 0
