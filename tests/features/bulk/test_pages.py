"""The bulk upload page: admins only, every bad row at once with nothing applied, rows applied by the
``bulk.apply`` task (never by the request), live progress, Resume, and the per-row result file."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from features.bulk import celery_tasks as bulk_task
from features.bulk import pages as bulk_pages
from models import BulkJob, BulkRow, ExecutionStatus, TaskExecution
from models.db import unit_of_work
from pipeline import executions
from pipeline.outbox import Message
from tests import factories as f
from tests.features.bulk.runs import Runs
from tests.web.fixtures import ADMIN, Browser, snapshot

HEADER = "client_code,name,iccid,communicator_type"


def work(runs: Runs) -> int:
    """Be the worker: carry out every published run (and the runs they publish); returns how many."""
    done = 0
    while runs:
        job_id, operator = runs.pop(0)
        bulk_task.apply(job_id, operator)
        done += 1
    return done


def good_file(count: int = 3, first: int = 100) -> bytes:
    lines = [HEADER] + [f"B{n},Shop {n},{f.iccid(n)},Jasper" for n in range(first, first + count)]
    return ("\n".join(lines) + "\n").encode()


def bad_file() -> bytes:
    iccid = f.iccid(201)
    typo = iccid[:-1] + str((int(iccid[-1]) + 1) % 10)
    lines = [
        HEADER,
        f"B1,Shop 1,{f.iccid(200)},Jasper",  # 2: good
        f"B2,Shop 2,{typo},Jasper",  # 3: Luhn
        f"B3,Shop 3,{f.iccid(202)},Nokia",  # 4: no such communicator type
        "B4,,,",  # 5: new client without a name
        f"B5,Shop 5,{f.iccid(203)},Jasper",  # 6: good
    ]
    return ("\n".join(lines) + "\n").encode()


def upload(
    who: Browser,
    data: bytes | None,
    kind: str = "commission",
    *,
    name: str = "clients.csv",
    skip: bool = False,
    csrf: bool = True,
) -> Any:
    who.page("/clients")  # a page every account may read, for the CSRF token
    form = {"kind": kind, **({"skip_bad_rows": "true"} if skip else {})}
    if csrf:
        form["csrf_token"] = who.csrf
    files = {"file": (name, data, "text/csv")} if data is not None else None
    return who.http.post("/bulk", data=form, files=files, follow_redirects=False)


def job_id_of(answer: Any) -> int:
    assert answer.status_code == 303, answer.text[:800]
    location = answer.headers["location"]
    assert location.startswith("/bulk/")
    return int(location.rsplit("/", 1)[1])


def rows_by_status(job_id: int) -> dict[str, int]:
    with unit_of_work() as session:
        statuses = session.scalars(select(BulkRow.status).where(BulkRow.job_id == job_id)).all()
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status.value] = counts.get(status.value, 0) + 1
    return counts


def finish_executions(status: ExecutionStatus = ExecutionStatus.SUCCEEDED) -> int:
    """Be the Jasper worker: claim every due execution and record ``status``."""
    with unit_of_work() as session:
        due = session.scalars(select(TaskExecution.id).order_by(TaskExecution.id)).all()
    for execution_id in due:
        with unit_of_work() as session:
            claim = executions.claim(session, execution_id)
        if claim is None:
            continue
        with unit_of_work() as session:
            executions.complete(session, claim, status, f"{status.value} by the test")
    return len(due)


def result_rows(who: Browser, job_id: int) -> list[dict[str, str]]:
    answer = who.http.get(f"/bulk/{job_id}/results.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


# -- roles and CSRF -------------------------------------------------------------------------------------


def test_operators_get_403_on_every_bulk_page_and_see_no_link(
    operator: Browser, admin: Browser, runs: Runs
) -> None:
    job_id = job_id_of(upload(admin, good_file()))
    runs.clear()
    assert 'href="/bulk"' not in operator.page("/clients")
    assert 'href="/bulk"' in admin.page("/clients")
    before = snapshot()
    for path in ("/bulk", f"/bulk/{job_id}", f"/bulk/{job_id}/progress", f"/bulk/{job_id}/results.csv"):
        answer = operator.http.get(path)
        assert answer.status_code == 403, path
        assert "for admins" in answer.text
    assert upload(operator, good_file(first=300)).status_code == 403
    assert operator.post(f"/bulk/{job_id}/resume").status_code == 403
    assert snapshot() == before
    assert runs == []


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(admin: Browser, runs: Runs) -> None:
    before = snapshot()
    answer = upload(admin, good_file(), csrf=False)
    assert answer.status_code == 403
    assert "security token" in answer.text
    assert snapshot() == before
    job_id = job_id_of(upload(admin, good_file()))
    runs.clear()
    before = snapshot()
    assert admin.post(f"/bulk/{job_id}/resume", csrf=False).status_code == 403
    assert snapshot() == before
    assert runs == []


def test_not_logged_in_is_sent_to_the_login_page(browser: Callable[[str | None], Browser]) -> None:
    nobody = browser(None)
    answer = nobody.http.get("/bulk", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


# -- refusals -------------------------------------------------------------------------------------------


def test_a_file_with_bad_rows_lists_every_error_and_applies_nothing(admin: Browser, runs: Runs) -> None:
    before = snapshot()
    answer = upload(admin, bad_file())
    assert answer.status_code == 422
    page = answer.text
    assert "3 of 5 rows of the file are bad; nothing was applied" in page
    for row in (3, 4, 5):
        assert f'data-row="{row}"' in page
    assert 'data-row="2"' not in page
    assert "wrong check digit (Luhn)" in page
    assert "no communicator type named &#39;Nokia&#39;" in page
    assert "no client with code B4: give a name to create it" in page
    assert "tick “Skip bad rows” to apply the 2 good rows" in page
    assert 'value="commission" required checked' in page  # the form keeps its choice
    assert snapshot() == before
    assert runs == []


@pytest.mark.parametrize(
    ("form", "data", "status", "message"),
    [
        ({"kind": "commission"}, b"\xff\xfeclient_code\n", 422, "The file is not UTF-8 text"),
        ({"kind": "commission"}, b"", 422, "The file is empty"),
        ({"kind": "commission"}, b"client_code,iccd\nC1,1\n", 422, "Unknown column(s) &#39;iccd&#39;"),
        ({"kind": "decommission"}, b"client_code\nC1\n", 422, "A decommission file needs a reason column"),
        ({"kind": "commission"}, None, 422, "Choose a CSV file to upload."),
        ({"kind": "delete"}, b"client_code\nC1\n", 422, "Choose Commission or Decommission."),
        ({}, b"client_code\nC1\n", 422, "Choose Commission or Decommission."),
    ],
)
def test_a_bad_upload_gets_a_clear_message_and_changes_nothing(
    admin: Browser, runs: Runs, form: dict[str, str], data: bytes | None, status: int, message: str
) -> None:
    admin.page("/bulk")
    before = snapshot()
    files = {"file": ("clients.csv", data, "text/csv")} if data is not None else None
    answer = admin.http.post(
        "/bulk", data={**form, "csrf_token": admin.csrf}, files=files, follow_redirects=False
    )
    assert answer.status_code == status, answer.text[:500]
    assert message in answer.text
    assert "Internal error" not in answer.text
    assert snapshot() == before
    assert runs == []


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(
    admin: Browser, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_pages, "MAX_UPLOAD_BYTES", 100)
    before = snapshot()
    answer = upload(admin, good_file(5))  # about 200 bytes: read, then refused
    assert answer.status_code == 413
    assert "larger than" in answer.text
    assert "split it into smaller files" in answer.text
    monkeypatch.setattr(bulk_pages, "_FORM_OVERHEAD_BYTES", 0)
    huge = upload(admin, good_file(5))  # its declared length alone refuses it
    assert huge.status_code == 413
    assert snapshot() == before
    assert runs == []


def test_a_file_with_no_good_row_is_refused_even_when_skipping(admin: Browser, runs: Runs) -> None:
    before = snapshot()
    answer = upload(admin, f"{HEADER}\nB4,,,\n".encode(), skip=True)
    assert answer.status_code == 422
    assert "1 of 1 rows of the file are bad" in answer.text
    assert "Fix them and upload the file again." in answer.text
    assert snapshot() == before
    assert runs == []


def test_unknown_jobs_are_404_and_impossible_ids_422(admin: Browser) -> None:
    assert admin.http.get("/bulk/999").status_code == 404
    assert admin.http.get("/bulk/999/progress").status_code == 404
    assert admin.http.get("/bulk/999/results.csv").status_code == 404
    admin.page("/bulk")
    assert admin.post("/bulk/999/resume").status_code == 404
    for bad in ("0", "-1", "2147483648", "x"):
        assert admin.http.get(f"/bulk/{bad}").status_code == 404, bad


# -- a job from upload to result file ----------------------------------------------------------------


def test_the_request_only_records_the_job_and_the_task_applies_its_rows(
    admin: Browser, runs: Runs, published: list[Message]
) -> None:
    answer = upload(admin, good_file(3))
    job_id = job_id_of(answer)
    assert runs == [(job_id, ADMIN)]  # published after the job's rows committed
    assert rows_by_status(job_id) == {"queued": 3}  # nothing applied in the request
    assert published == []
    page = admin.page(f"/bulk/{job_id}")
    assert f"Bulk job {job_id} started: commission 3 rows of clients.csv" in page
    assert "Applying rows in the background" in page
    assert f'hx-get="/bulk/{job_id}/progress"' in page
    assert '<progress id="bulk-applied" max="3" value="0">' in page

    assert work(runs) == 1
    assert rows_by_status(job_id) == {"applied": 3}
    assert len(published) == 3  # one Jasper execution per SIM, published by the normal pipeline
    fragment = admin.http.get(f"/bulk/{job_id}/progress", headers={"HX-Request": "true"}).text
    assert '<progress id="bulk-applied" max="3" value="3">' in fragment
    assert '<dd data-status="waiting">3</dd>' in fragment
    assert "Every row is applied;" in fragment

    finish_executions()
    fragment = admin.http.get(f"/bulk/{job_id}/progress", headers={"HX-Request": "true"}).text
    assert '<dd data-status="succeeded">3</dd>' in fragment
    assert '<progress id="bulk-finished" max="3" value="3">' in fragment
    assert "Done:" in fragment
    assert "hx-get" not in fragment  # finished: the page stops polling
    assert [(r["row"], r["client_code"], r["status"]) for r in result_rows(admin, job_id)] == [
        ("2", "B100", "succeeded"),
        ("3", "B101", "succeeded"),
        ("4", "B102", "succeeded"),
    ]
    listing = admin.page("/bulk")
    assert f'href="/bulk/{job_id}"' in listing
    assert "3 succeeded" in listing


def test_skip_bad_rows_applies_the_good_rows_and_the_result_file_lists_the_bad(
    admin: Browser, runs: Runs, published: list[Message]
) -> None:
    job_id = job_id_of(upload(admin, bad_file(), skip=True))
    assert "(3 bad rows skipped)" in admin.page(f"/bulk/{job_id}")
    work(runs)
    finish_executions(ExecutionStatus.FAILED)
    page = admin.page(f"/bulk/{job_id}")
    assert '<progress id="bulk-applied" max="2" value="2">' in page  # bad rows are not to apply
    assert "Rows not carried out" in page
    for row in (2, 3, 4, 5, 6):
        assert f'class="problem-row" data-row="{row}"' in page
    results = {r["row"]: r for r in result_rows(admin, job_id)}
    assert {row: r["status"] for row, r in results.items()} == {
        "2": "failed",
        "3": "invalid",
        "4": "invalid",
        "5": "invalid",
        "6": "failed",
    }
    assert "wrong check digit (Luhn)" in results["3"]["message"]


def test_a_job_is_applied_a_bounded_run_at_a_time(
    admin: Browser, runs: Runs, published: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_task, "ROWS_PER_RUN", 2)
    job_id = job_id_of(upload(admin, good_file(5)))
    assert work(runs) == 3  # 2 + 2 + 1 rows
    assert rows_by_status(job_id) == {"applied": 5}


def test_uploading_the_same_file_again_resumes_without_repeating_a_row(
    admin: Browser, runs: Runs, published: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_task, "ROWS_PER_RUN", 2)
    data = good_file(5)
    job_id = job_id_of(upload(admin, data))
    job_id_, operator = runs.pop()
    bulk_task.apply(job_id_, operator)  # one run; then the worker is killed: its next message is lost
    runs.clear()
    assert rows_by_status(job_id) == {"applied": 2, "queued": 3}

    again = upload(admin, data, name="renamed.csv")
    assert job_id_of(again) == job_id
    assert "uploaded before as bulk job" in admin.page(f"/bulk/{job_id}")
    work(runs)
    assert rows_by_status(job_id) == {"applied": 5}
    assert len(published) == 5  # one execution per row: no row applied twice
    with unit_of_work() as session:
        assert len(session.scalars(select(BulkJob)).all()) == 1

    third = upload(admin, data)
    assert job_id_of(third) == job_id
    assert runs == []  # nothing left to apply: no run published
    assert "nothing was applied again" in admin.page(f"/bulk/{job_id}")


def test_a_stalled_job_offers_resume_which_carries_on(
    admin: Browser, runs: Runs, published: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_task, "ROWS_PER_RUN", 1)
    job_id = job_id_of(upload(admin, good_file(3)))
    bulk_task.apply(*runs.pop())
    runs.clear()  # the next run's message is lost
    assert ">Resume</button>" not in admin.page(f"/bulk/{job_id}")  # a row was applied just now
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    with unit_of_work() as session:
        session.execute(update(BulkRow).where(BulkRow.job_id == job_id).values(applied_at=long_ago))
        session.execute(update(BulkJob).where(BulkJob.id == job_id).values(created_at=long_ago))
    page = admin.page(f"/bulk/{job_id}")
    assert "Stopped:" in page
    assert ">Resume</button>" in page
    assert "Stopped" in admin.page("/bulk")

    answer = admin.post(f"/bulk/{job_id}/resume")
    assert answer.status_code == 303
    assert runs == [(job_id, ADMIN)]
    assert "Resuming bulk job" in admin.page(f"/bulk/{job_id}")
    work(runs)
    assert rows_by_status(job_id) == {"applied": 3}
    admin.post(f"/bulk/{job_id}/resume")
    assert runs == []  # nothing queued: nothing published
    assert "has no row left to apply" in admin.page(f"/bulk/{job_id}")


def test_the_result_file_is_named_after_the_upload_and_is_safe_in_a_spreadsheet(
    admin: Browser, runs: Runs, published: list[Message]
) -> None:
    data = f'{HEADER}\n=B1,=HYPERLINK("x"),,\nB100,Shop,{f.iccid(100)},Jasper\n'.encode()
    job_id = job_id_of(upload(admin, data, name="..\\evil/<ünï>.csv", skip=True))  # row 2 is refused
    answer = admin.http.get(f"/bulk/{job_id}/results.csv")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="__n__.results.csv";')
    assert "filename*=UTF-8''%3C%C3%BCn%C3%AF%3E.results.csv" in disposition
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows[0]["client_code"] == "'=B1"
    with unit_of_work() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None
        assert job.file_name == "<ünï>.csv"  # the folders are gone
    assert "&lt;ünï&gt;.csv" in admin.page("/bulk")


# -- anything goes in: never a 5xx, and a refusal changes nothing ------------------------------------


def test_random_uploads_never_crash_and_refusals_change_nothing(admin: Browser, runs: Runs) -> None:
    admin.page("/bulk")
    lines = st.lists(
        st.lists(
            st.one_of(
                st.sampled_from(
                    ["client_code", "name", "iccid", "reason", "C1", "Jasper", f.iccid(5), "yes"]
                ),
                st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
            ),
            max_size=5,
        ).map(",".join),
        max_size=6,
    ).map("\n".join)
    contents = st.one_of(lines.map(str.encode), st.binary(max_size=60))
    statuses: dict[int, int] = {}

    @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        data=contents,
        kind=st.sampled_from(["commission", "decommission", "", "x"]),
        skip=st.booleans(),
        name=st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    )
    def fuzz(data: bytes, kind: str, skip: bool, name: str) -> None:
        before = snapshot()
        form = {"kind": kind, "csrf_token": admin.csrf, **({"skip_bad_rows": "true"} if skip else {})}
        answer = admin.http.post(
            "/bulk", data=form, files={"file": (name or "x.csv", data, "text/csv")}, follow_redirects=False
        )
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        assert answer.status_code < 500, (data, kind, answer.text[:300])
        if answer.status_code >= 400:
            assert snapshot() == before

    fuzz()
    assert 422 in statuses, statuses
