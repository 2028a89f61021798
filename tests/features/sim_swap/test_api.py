"""The SIM swap's JSON API twin: admins only, its input checked, the service's refusals answered; the
swap itself is tested against the simulator in test_swap.py."""

from __future__ import annotations

from fastapi.testclient import TestClient

from centre.validation import with_luhn_digit
from tests import factories as f
from tests.web.fixtures import CLIENT, bearer

NEW = with_luhn_digit("898800000000000321")


def test_only_admins_may_swap_and_bad_input_changes_nothing(
    app_client: TestClient, world: dict[str, str]
) -> None:
    path = f"/api/clients/{CLIENT}/sims/{f.iccid(1)}/swap"
    operator = app_client.post(path, headers=bearer(world["operator_token"]), json={"new_iccid": NEW})
    assert operator.status_code == 403
    admin = bearer(world["admin_token"])
    typo = app_client.post(path, headers=admin, json={"new_iccid": NEW[:-1] + str((int(NEW[-1]) + 1) % 10)})
    assert typo.status_code == 422
    assert "check digit" in typo.json()["detail"]
    # The seeded client is not commissioned: refused before any carrier call.
    refused = app_client.post(path, headers=admin, json={"new_iccid": NEW})
    assert refused.status_code == 409
    assert "not commissioned" in refused.json()["detail"]
    unknown = app_client.post(
        f"/api/clients/{CLIENT}/sims/{f.iccid(9)}/swap", headers=admin, json={"new_iccid": NEW}
    )
    assert unknown.status_code == 404
