"""Operators' pages: search, Maintenance (commission, decommission, devices), History, Retry, operator log."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from centre import system_settings
from models import ExecutionStatus, TaskExecution
from models.db import unit_of_work
from pipeline import history
from pipeline.outbox import Message
from tests import factories as f
from tests.web.fixtures import CLIENT, Browser, client_id, client_row, failed_execution, snapshot

TYPO_ICCID = f.iccid(7)[:-1] + str((int(f.iccid(7)[-1]) + 1) % 10)


def _rows(page: str) -> list[str]:
    """The history rows' type numbers, top to bottom."""
    return re.findall(r'data-type-no="(\d+)"', page)


def test_search_finds_clients_by_code_or_name(operator: Browser) -> None:
    assert f'href="/clients/{client_id()}"' in operator.page("/clients?q=c1")
    assert f'href="/clients/{client_id()}"' in operator.page("/clients?q=Client+C")
    page = operator.page("/clients?q=nothing-like-this")
    assert "No client matches" in page


def test_the_client_page_shows_maintenance_devices_and_history(operator: Browser) -> None:
    page = operator.page(f"/clients/{client_id()}")
    assert "Maintenance" in page
    assert "History" in page
    assert f.iccid(1) in page
    assert "Not commissioned" in page
    assert '<button type="submit" class="primary">Commission</button>' in page
    assert "Take Client Offline" in page


def test_commission_logs_65516_and_fires_the_jasper_task(operator: Browser, published: list[Message]) -> None:
    operator.page(f"/clients/{client_id()}")
    answer = operator.post(f"/clients/{client_id()}/commission")
    assert (answer.status_code, answer.headers["location"]) == (303, f"/clients/{client_id()}")
    page = operator.page(f"/clients/{client_id()}")
    assert "C1 commissioned: the outcome follows in History." in page
    assert _rows(page) == ["65516"]
    assert client_row().commissioned_at is not None
    assert len(published) == 1
    assert "oscar" in page  # the operator column


def test_commission_with_htmx_answers_the_maintenance_view(operator: Browser) -> None:
    operator.page(f"/clients/{client_id()}")
    answer = operator.post(f"/clients/{client_id()}/commission", htmx=True)
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<section class="panel maintenance" id="maintenance"')
    assert "the outcome follows in History" in answer.text
    assert "<html" not in answer.text


def test_decommission_with_a_reason_and_offline(operator: Browser) -> None:
    operator.page(f"/clients/{client_id()}")
    answer = operator.post(f"/clients/{client_id()}/decommission", {"reason": "moved out", "offline": "true"})
    assert answer.status_code == 303
    page = operator.page(f"/clients/{client_id()}")
    assert "moved out" in page
    assert "Yes: signals raise no response" in page
    assert _rows(page) == ["65517"]
    client = client_row()
    assert (client.decommission_reason, client.offline) == ("moved out", True)


def test_decommission_without_a_reason_shows_the_message_next_to_the_field(operator: Browser) -> None:
    operator.page(f"/clients/{client_id()}")
    before = snapshot()
    for htmx in (False, True):
        answer = operator.post(f"/clients/{client_id()}/decommission", {"reason": "  "}, htmx=htmx)
        assert answer.status_code == 422
        message = re.search(
            r'<p class="field-error" id="decommission-reason-msg" role="alert">([^<]+)</p>', answer.text
        )
        assert message is not None
        assert message.group(1) == "decommission reason must not be empty"
        assert 'aria-invalid="true"' in answer.text
        assert '<details class="decommission" open>' in answer.text
    assert snapshot() == before


def test_history_polling_answers_only_newer_signals(operator: Browser) -> None:
    page = operator.page(f"/clients/{client_id()}")
    assert 'hx-trigger="every 1s"' in page
    assert operator.http.get(f"/clients/{client_id()}/history/rows?after_id=0").status_code == 204
    operator.post(f"/clients/{client_id()}/commission")
    fragment = operator.http.get(f"/clients/{client_id()}/history/rows?after_id=0")
    assert fragment.status_code == 200
    assert _rows(fragment.text) == ["65516"]
    last = re.search(r"history/rows\?after_id=(\d+)", fragment.text)
    assert last is not None
    assert int(last.group(1)) > 0
    assert (
        operator.http.get(f"/clients/{client_id()}/history/rows?after_id={last.group(1)}").status_code == 204
    )


def test_a_failed_execution_shows_the_carrier_error_and_retries_with_one_click(
    operator: Browser, published: list[Message]
) -> None:
    execution_id = failed_execution(error="Control Center said: invalid ICCID (20000001)")
    page = operator.page(f"/clients/{client_id()}")
    assert _rows(page) == ["65519", "65516"]
    assert '<p class="carrier-error">' in page
    assert "Control Center said: invalid ICCID (20000001)" in page
    assert f'hx-post="/executions/{execution_id}/retry"' in page
    published.clear()

    answer = operator.post(f"/executions/{execution_id}/retry", {"client_id": str(client_id())}, htmx=True)
    assert answer.status_code == 200
    assert "Retrying as execution" in answer.text
    assert len(published) == 1
    with unit_of_work() as session:
        newest = session.scalars(select(TaskExecution).order_by(TaskExecution.id.desc())).first()
        assert newest is not None
        assert newest.id > execution_id
        assert newest.status == ExecutionStatus.PENDING

    page = operator.page(f"/clients/{client_id()}")
    assert f'hx-post="/executions/{execution_id}/retry"' not in page
    assert f"Retried or overtaken: execution {newest.id}" in page
    assert re.search(
        r'class="signal outcome-failed overtaken" data-type-no="65519"', page
    )  # no longer shouts
    again = operator.post(f"/executions/{execution_id}/retry", {"client_id": str(client_id())}, htmx=True)
    assert again.status_code == 409
    assert "would undo it" in again.text


def test_retry_without_htmx_redirects_back_with_the_message(operator: Browser) -> None:
    execution_id = failed_execution()
    operator.page(f"/clients/{client_id()}")
    answer = operator.post(f"/executions/{execution_id}/retry", {"client_id": str(client_id())})
    assert (answer.status_code, answer.headers["location"]) == (303, f"/clients/{client_id()}")
    assert "Retrying as execution" in operator.page(f"/clients/{client_id()}")
    refused = operator.post("/executions/999999/retry", {"client_id": str(client_id())})
    assert refused.status_code == 303
    assert "no task execution 999999" in operator.page(f"/clients/{client_id()}")


def test_the_operator_log_shows_who_changed_what(operator: Browser) -> None:
    operator.page(f"/clients/{client_id()}")
    operator.post(f"/clients/{client_id()}/decommission", {"reason": "unpaid"})
    page = operator.page(f"/clients/{client_id()}/log")
    assert "client.decommission" in page
    assert "reason: unpaid" in page
    assert "oscar" in page


def test_admin_adds_a_device_and_a_bad_iccid_is_refused_next_to_the_field(admin: Browser) -> None:
    admin.page(f"/clients/{client_id()}")
    before = snapshot()
    answer = admin.post(
        f"/clients/{client_id()}/devices", {"communicator_type": "Jasper", "device_ref_no": TYPO_ICCID}
    )
    assert answer.status_code == 422
    assert re.search(r'id="device-device_ref_no-msg" role="alert">[^<]*wrong check digit', answer.text)
    assert snapshot() == before
    answer = admin.post(
        f"/clients/{client_id()}/devices", {"communicator_type": "Jasper", "device_ref_no": f.iccid(9)}
    )
    assert answer.status_code == 303
    assert f.iccid(9) in admin.page(f"/clients/{client_id()}")


def test_admin_adds_a_client_and_a_bad_code_is_refused(admin: Browser) -> None:
    admin.page("/clients")
    answer = admin.post("/clients", {"code": "bad code!", "name": "X", "area": "1", "port": "1"})
    assert answer.status_code == 422
    assert re.search(r'id="add-code-msg" role="alert">client code', answer.text)
    answer = admin.post("/clients", {"code": "NEW1", "name": "New client", "area": "abc", "port": "1"})
    assert re.search(r'id="add-area-msg" role="alert">area must be a whole number', answer.text)
    answer = admin.post("/clients", {"code": "NEW1", "name": "New client", "area": "1", "port": "1"})
    assert answer.status_code == 303
    assert "New client" in admin.page(answer.headers["location"])


def test_unknown_clients_and_bad_ids_get_a_page_not_a_crash(operator: Browser) -> None:
    assert operator.http.get("/clients/999999").status_code == 404
    assert "no client 999999" in operator.http.get("/clients/999999").text
    for path in ("/clients/abc", "/clients/0", f"/clients/{2**63}"):  # names no client: 404, with the nav
        answer = operator.http.get(path)
        assert answer.status_code == 404, path
        assert 'aria-label="Main"' in answer.text, path
    assert operator.http.get("/clients/1/history/rows?after_id=-1").status_code == 422
    assert operator.http.get("/clients?q=%00").status_code == 200
    assert operator.http.get("/no/such/page").status_code == 404
    assert CLIENT


def test_the_history_downloads_as_csv_with_no_formula_and_times_in_the_centres_zone(admin: Browser) -> None:
    admin.page(f"/clients/{client_id()}")
    admin.post(f"/clients/{client_id()}/decommission", {"reason": '=HYPERLINK("http://x")'})
    with unit_of_work() as session:
        system_settings.set_value(session, system_settings.TIME_ZONE, "Europe/Paris", "test")
    answer = admin.http.get(f"/clients/{client_id()}/history.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == f'attachment; filename="history-{CLIENT}-1-1.csv"'
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == list(history.CSV_COLUMNS)
    assert [r[2] for r in rows[1:]] == ["65517"]
    assert rows[1][7] == '\'=HYPERLINK("http://x")'  # the reason is the memo: a formula no more
    assert rows[1][1].endswith(("+01:00", "+02:00"))
    assert admin.http.get("/clients/999999/history.csv").status_code == 404
