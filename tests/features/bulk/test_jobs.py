"""Bulk files: every error at once, bad rows skipped on request, row-by-row application that resumes
without repeating a row, and outcomes read back from the executions."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from centre import clients
from centre.clients import ClientRef
from centre.errors import InvalidInput
from centre.seed import SYSTEM_EVENTS_CODE
from features.bulk import jobs
from models import (
    AddonDevice,
    BulkJob,
    BulkKind,
    BulkRow,
    BulkRowStatus,
    Client,
    CommunicatorType,
    ExecutionStatus,
    Signal,
    TaskExecution,
)
from models.db import unit_of_work
from pipeline import executions, system_events
from pipeline.outbox import Message
from tests import factories as f

COMMISSION, DECOMMISSION = BulkKind.COMMISSION, BulkKind.DECOMMISSION
COMMISSIONED = system_events.CLIENT_COMMISSIONED
DECOMMISSIONED = system_events.CLIENT_DECOMMISSIONED
OPERATOR = "bulk:tester"
HEADER = "client_code,name,iccid,communicator_type"


@pytest.fixture
def db(sqlite_database: str, published: list[Message]) -> Iterator[Session]:
    """A unit of work on SQLite only, for rules that do not depend on the backend."""
    with unit_of_work() as s:
        yield s


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def typo(iccid: str) -> str:
    """``iccid`` with a wrong check digit."""
    return iccid[:-1] + str((int(iccid[-1]) + 1) % 10)


def _setup() -> None:
    """Seed, the Jasper communicator type and client C1 holding SIM 1 (committed)."""
    with unit_of_work() as session:
        f.seeded_client(session, "C1", 1)


def _open(data: bytes, kind: BulkKind = COMMISSION, **options: bool) -> jobs.Opened:
    with unit_of_work() as session:
        return jobs.open_job(session, kind, "clients.csv", data, OPERATOR, **options)


def _progress(job_id: int) -> jobs.Progress:
    with unit_of_work() as session:
        jobs.refresh(session, job_id)
        return jobs.progress(session, job_id)


def _counts() -> dict[str, int]:
    with unit_of_work() as session:
        return f.row_counts(session)


def _signals_by_client(type_no: int) -> Counter[str]:
    with unit_of_work() as session:
        rows = session.execute(
            select(Client.client_code, func.count())
            .join(Signal, Signal.client_id == Client.id)
            .where(Signal.type_no == type_no)
            .group_by(Client.client_code)
        )
        return Counter({str(code): int(count) for code, count in rows})


# -- validation -----------------------------------------------------------------------------------------


def test_a_bad_file_reports_every_error_at_once_and_changes_nothing(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        f.seeded_client(session, "C1", 1)
        f.client(session, "TWO", area=1)
        f.client(session, "TWO", area=2)  # an unlinked second area: "TWO" alone is ambiguous
    data = csv_file(
        HEADER + ",area",
        f"N1,New one,{f.iccid(10)},Jasper,",  # 2: good
        f"N2,New two,{typo(f.iccid(11))},Jasper,",  # 3: Luhn
        "N3,New three,12345,Jasper,",  # 4: malformed
        f"N4,New four,{f.iccid(1)},Jasper,",  # 5: SIM 1 is C1's
        f"N5,New five,{f.iccid(12)},Nokia,",  # 6: no such communicator type
        "N1,Again,,,",  # 7: N1 twice
        "N6,,,,",  # 8: new client without a name
        "N7,Seven,,,12x",  # 9: bad area
        f"N8,Eight,{f.iccid(10)},Jasper,",  # 10: ICCID also on row 2
        "SYSEVENTS,,,,",  # 11: a template
        "TWO,,,,",  # 12: ambiguous
        f"N9,Nine,{f.iccid(13)},,",  # 13: ICCID without communicator type
        "N10,Ten,,,,surplus",  # 14: a cell outside the columns
        "bad code!,x,,,",  # 15: client code
        "C1,,,,",  # 16: good (existing)
        ",,,,",  # blank: ignored
    )
    before = _counts()

    with pytest.raises(jobs.BadFile) as refused:
        _open(data)

    errors = {row.number: row.message for row in refused.value.validation.bad}
    assert sorted(errors) == list(range(3, 16))
    assert "wrong check digit (Luhn)" in errors[3]
    assert "must be 19 or 20 digits" in errors[4]
    assert errors[5] == f"ICCID {f.iccid(1)} is already on client C1"
    assert "no communicator type named 'Nokia'" in errors[6]
    assert errors[7] == "client N1 is also on row 2"
    assert errors[8] == "no client with code N6: give a name to create it"
    assert "area '12x' must be a whole number" in errors[9]
    assert errors[10] == f"ICCID {f.iccid(10)} is also on row 2"
    assert errors[11] == "SYSEVENTS is a template account: templates are not commissioned"
    assert "has several areas or ports" in errors[12]
    assert errors[13] == "an ICCID needs its communicator_type"
    assert "1 filled cell(s) outside the columns" in errors[14]
    assert "client code 'bad code!'" in errors[15]
    assert str(refused.value) == "13 of 15 rows of the file are bad; nothing was applied"
    assert _counts() == before


def test_a_decommission_file_is_checked_for_reasons_and_known_clients(db: Session) -> None:
    f.seeded_client(db, "C1", 1)
    f.client(db, "C2")
    data = csv_file(
        "client_code,reason,offline",
        "C1,moved,yes",
        "C2,,",
        "C3,gone,no",
        "C1,again,maybe",
    )

    checked = jobs.validate(db, DECOMMISSION, data)

    errors = {row.number: row.message for row in checked.bad}
    assert errors == {
        3: "reason must not be empty",
        4: "no client with code C3",
        5: "offline 'maybe' must be yes or no; client C1 is also on row 2",
    }


def test_rows_that_press_the_same_family_twice_are_refused(db: Session) -> None:
    f.seeded_client(db, "B", 1)
    f.client(db, "B", area=2, base=ClientRef("B", area=1))

    checked = jobs.validate(db, COMMISSION, csv_file("client_code,area", "B,1", "B,2"))

    assert [(row.number, row.message) for row in checked.bad] == [
        (
            3,
            "client B area 2 port 1 is commissioned together with B (base and linked areas), as on row 2: "
            "keep one of the two rows",
        )
    ]


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        (COMMISSION, b"\xff\xfeclient_code\n", "the file is not UTF-8 text"),
        (COMMISSION, b"", "the file is empty"),
        (COMMISSION, b"client_code,name\n", "the file has a header row but no rows"),
        (COMMISSION, b"name,iccid\nx,1\n", "the header row has no client_code column"),
        (COMMISSION, b"client_code,iccd\nC1,1\n", "unknown column(s) 'iccd' in the header row"),
        (COMMISSION, b"client_code,Client Code\nC1,C1\n", "client_code appear more than once"),
        (COMMISSION, b"client_code,reason\nC1,x\n", "column(s) reason belong in a decommission file"),
        (DECOMMISSION, b"client_code\nC1\n", "a decommission file needs a reason column"),
    ],
)
def test_a_file_that_is_wrong_as_a_whole_is_one_clear_error(
    db: Session, kind: BulkKind, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        jobs.validate(db, kind, data)


def test_headers_are_case_insensitive_and_excel_files_are_read(db: Session) -> None:
    f.seeded_client(db, "C1", 1)
    data = f"\ufeffClient Code;NAME;ICCID;Communicator-Type;;\r\nN1;Shop;{f.iccid(5)};Jasper;;\r\n"

    checked = jobs.validate(db, COMMISSION, data.encode())

    (row,) = checked.rows
    assert row.errors == []
    assert row.data == {
        "code": "N1",
        "area": None,
        "port": None,
        "name": "Shop",
        "iccid": f.iccid(5),
        "communicator_type": "Jasper",
    }


def test_validation_reads_the_database_a_few_times_per_file_not_per_row(db: Session) -> None:
    f.seeded_client(db, "C1", 1)
    data = csv_file(HEADER, *(f"N{i},Client {i},{f.iccid(100 + i)},Jasper" for i in range(1200)))
    db.flush()
    statements: list[str] = []
    connection = db.connection()
    event.listen(connection, "before_cursor_execute", lambda *args: statements.append(args[2]))

    checked = jobs.validate(db, COMMISSION, data)

    assert not checked.bad
    assert len(statements) <= 1 + 2 * 3  # communicator types; clients and SIMs in chunks of 500


# -- applying ---------------------------------------------------------------------------------------------


def test_a_good_file_creates_adds_and_commissions_each_row_once(
    database: str, published: list[Message]
) -> None:
    _setup()
    data = csv_file(
        HEADER + ",area,port",
        f"N1,New one,{f.iccid(10)},Jasper,,",
        f"N2,New two,{f.iccid(11)},Jasper,3,B",
        f"C1,,{f.iccid(12)},Jasper,,",  # an existing client gets a second SIM
    )
    opened = _open(data)
    assert not opened.resumed

    assert jobs.apply_rows(opened.job.id, OPERATOR) == 3

    now = _progress(opened.job.id)
    assert (now.total, now.counts[BulkRowStatus.APPLIED], now.waiting, now.queued) == (3, 3, 3, 0)
    assert _signals_by_client(COMMISSIONED) == {"N1": 1, "N2": 1, "C1": 1}
    with unit_of_work() as session:
        n2 = clients.find(session, ClientRef("N2", 3, "B"))
        assert n2.name == "New two"
        assert n2.commissioned_at is not None
        targets = sorted(e.target["iccid"] for e in f.executions(session))
        assert targets == sorted([f.iccid(10), f.iccid(11), f.iccid(12), f.iccid(1)])
        rows = session.scalars(select(BulkRow).order_by(BulkRow.number)).all()
        assert [(r.number, r.status, r.client_code) for r in rows] == [
            (2, BulkRowStatus.APPLIED, "N1"),
            (3, BulkRowStatus.APPLIED, "N2"),
            (4, BulkRowStatus.APPLIED, "C1"),
        ]
        for row in rows:
            assert row.signal_ids
            assert row.execution_ids
            signal = session.get(Signal, row.signal_ids[0])
            assert signal is not None
            assert signal.memo == f"bulk job {opened.job.id} (clients.csv) row {row.number}"
            assert signal.operator == OPERATOR
    assert sorted(m[0] for m in published) == sorted(i for r in rows for i in r.execution_ids)


def test_skip_bad_rows_applies_the_good_rows_and_records_the_bad(
    database: str, published: list[Message]
) -> None:
    _setup()
    data = csv_file(
        HEADER,
        f"N1,One,{f.iccid(10)},Jasper",
        f"N2,Two,{typo(f.iccid(11))},Jasper",
        f"N3,Three,{f.iccid(12)},Jasper",
        "N4,,,",
    )

    opened = _open(data, skip_bad_rows=True)
    jobs.apply_rows(opened.job.id, OPERATOR)

    assert (opened.job.row_count, opened.job.invalid_count) == (4, 2)
    assert _signals_by_client(COMMISSIONED) == {"N1": 1, "N3": 1}
    with unit_of_work() as session:
        results = jobs.results(session, opened.job.id)
        assert [(r.number, r.status) for r in results] == [
            (2, BulkRowStatus.APPLIED),
            (3, BulkRowStatus.INVALID),
            (4, BulkRowStatus.APPLIED),
            (5, BulkRowStatus.INVALID),
        ]
        assert "wrong check digit" in results[1].message
        assert session.scalar(select(func.count()).select_from(Client).where(Client.client_code == "N2")) == 0


def test_a_file_with_no_good_row_is_refused_even_when_skipping(db: Session) -> None:
    f.seeded_client(db, "C1", 1)
    with pytest.raises(jobs.BadFile):
        jobs.open_job(db, COMMISSION, "x.csv", csv_file("client_code", "N1"), OPERATOR, skip_bad_rows=True)


def test_running_the_same_file_again_resumes_its_job_and_repeats_no_row(
    database: str, published: list[Message]
) -> None:
    _setup()
    data = csv_file(HEADER, *(f"N{i},Client {i},{f.iccid(10 + i)},Jasper" for i in range(10)))
    first = _open(data)
    assert jobs.apply_rows(first.job.id, OPERATOR, limit=4) == 4  # then the run stops

    again = _open(data)
    assert again.resumed
    assert again.job.id == first.job.id
    assert _progress(first.job.id).queued == 6
    assert jobs.apply_rows(again.job.id, "bulk:someone-else") == 6
    assert jobs.apply_rows(again.job.id, OPERATOR) == 0  # a third run finds nothing to do

    assert _signals_by_client(COMMISSIONED) == {f"N{i}": 1 for i in range(10)}
    with unit_of_work() as session:
        assert len(f.executions(session)) == 10
        assert session.scalar(select(func.count()).select_from(BulkJob)) == 1
    assert len(published) == 10


def test_a_row_interrupted_in_flight_leaves_nothing_and_is_applied_on_resume(
    database: str, published: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup()
    data = csv_file(HEADER, *(f"N{i},Client {i},{f.iccid(10 + i)},Jasper" for i in range(5)))
    opened = _open(data)
    real_commission = clients.commission
    calls = 0

    def crash_on_the_third(*args: object, **kwargs: object) -> list[Signal]:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the process killed mid-row
        return real_commission(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(clients, "commission", crash_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        jobs.apply_rows(opened.job.id, OPERATOR)

    with unit_of_work() as session:
        assert session.scalar(select(Client.id).where(Client.client_code == "N2")) is None  # rolled back
        assert jobs.progress(session, opened.job.id).counts[BulkRowStatus.APPLIED] == 2
    assert jobs.apply_rows(_open(data).job.id, OPERATOR) == 3
    assert _signals_by_client(COMMISSIONED) == {f"N{i}": 1 for i in range(5)}


def test_a_row_the_database_no_longer_allows_is_skipped_and_leaves_nothing(
    database: str, published: list[Message]
) -> None:
    _setup()
    data = csv_file(HEADER, f"N1,One,{f.iccid(10)},Jasper", f"N2,Two,{f.iccid(11)},Jasper")
    opened = _open(data)
    with unit_of_work() as session:  # after validation, someone gives row 3's SIM to C1
        f.sims(session, clients.find(session, ClientRef("C1")), 11)

    jobs.apply_rows(opened.job.id, OPERATOR)

    with unit_of_work() as session:
        (one, two) = jobs.results(session, opened.job.id)
        assert one.status == BulkRowStatus.APPLIED
        assert (two.status, two.message) == (
            BulkRowStatus.SKIPPED,
            f"Device Ref No {f.iccid(11)} is already on client C1",
        )
        assert session.scalar(select(Client.id).where(Client.client_code == "N2")) is None
        assert jobs.progress(session, opened.job.id).finished is False  # N1 waits for the carrier
    assert _signals_by_client(COMMISSIONED) == {"N1": 1}


def test_no_resume_starts_a_new_job_that_applies_every_row_again(
    database: str, published: list[Message]
) -> None:
    _setup()
    data = csv_file("client_code", "C1")
    jobs.apply_rows(_open(data).job.id, OPERATOR)

    again = _open(data, resume=False)
    jobs.apply_rows(again.job.id, OPERATOR)

    assert not again.resumed
    assert _signals_by_client(COMMISSIONED) == {"C1": 2}


def test_a_decommission_file_decommissions_with_reason_and_offline(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        f.seeded_client(session, "C1", 1)
        f.seeded_client(session, "C2", 2)
    data = csv_file(
        "client_code,reason,offline,iccid,communicator_type",
        "C1,moved out,yes,,",
        f"C2,closed,,{f.iccid(3)},Jasper",
    )

    opened = _open(data, DECOMMISSION)
    jobs.apply_rows(opened.job.id, OPERATOR)

    assert _signals_by_client(DECOMMISSIONED) == {"C1": 1, "C2": 1}
    with unit_of_work() as session:
        c1 = clients.find(session, ClientRef("C1"))
        c2 = clients.find(session, ClientRef("C2"))
        assert (c1.decommission_reason, c1.offline) == ("moved out", True)
        assert (c2.decommission_reason, c2.offline) == ("closed", False)
        assert {e.options["command_type"] for e in f.executions(session)} == {"Deactivate"}
        assert sorted(e.target["iccid"] for e in f.executions(session, c2)) == [f.iccid(2), f.iccid(3)]


def test_a_row_whose_press_creates_no_execution_is_finished_as_applied(
    database: str, published: list[Message]
) -> None:
    with unit_of_work() as session:
        f.client(session, "C1")  # no seed: nothing resolves 65516 to a task

    opened = _open(csv_file("client_code", "C1"))
    jobs.apply_rows(opened.job.id, OPERATOR)

    now = _progress(opened.job.id)
    assert (now.counts[BulkRowStatus.APPLIED], now.waiting, now.finished) == (1, 0, True)
    with unit_of_work() as session:
        (row,) = jobs.results(session, opened.job.id)
    assert row.message == "commissioned; no task execution was created, so the carrier was not asked"


# -- outcomes, progress, results --------------------------------------------------------------------------


def _finish_executions(outcomes: dict[str, tuple[ExecutionStatus, str]]) -> None:
    """Play the worker: end each SIM's execution as given."""
    with unit_of_work() as session:
        for execution in f.executions(session):
            status, text = outcomes[execution.target["iccid"]]
            claim = executions.claim(session, execution.id)
            assert claim is not None
            executions.complete(session, claim, status, text)


def test_refresh_fills_in_each_rows_outcome_with_the_carriers_message(
    database: str, published: list[Message]
) -> None:
    _setup()
    data = csv_file(HEADER, f"N1,One,{f.iccid(10)},Jasper", f"N2,Two,{f.iccid(11)},Jasper")
    opened = _open(data)
    jobs.apply_rows(opened.job.id, OPERATOR)
    _finish_executions(
        {
            f.iccid(10): (ExecutionStatus.SUCCEEDED, "ACTIVATED, confirmed by the carrier"),
            f.iccid(11): (ExecutionStatus.FAILED, "10000003: invalid ICCID"),
        }
    )

    with unit_of_work() as session:
        assert jobs.refresh(session, opened.job.id) == 2
        assert jobs.refresh(session, opened.job.id) == 0
        now = jobs.progress(session, opened.job.id)
        results = jobs.results(session, opened.job.id)

    assert now.finished
    assert now.summary() == "1 succeeded, 1 failed"
    assert now.as_json()["counts"]["failed"] == 1
    assert [(r.status, r.message) for r in results] == [
        (BulkRowStatus.SUCCEEDED, f"Jasper Activate SIM {f.iccid(10)}: ACTIVATED, confirmed by the carrier"),
        (BulkRowStatus.FAILED, f"Jasper Activate SIM {f.iccid(11)}: 10000003: invalid ICCID"),
    ]
    out = io.StringIO()
    jobs.write_results(results, out)
    assert out.getvalue().splitlines() == [
        "row,client_code,iccid,status,message",
        f'2,N1,{f.iccid(10)},succeeded,"Jasper Activate SIM {f.iccid(10)}: ACTIVATED, confirmed by the '
        'carrier"',
        f"3,N2,{f.iccid(11)},failed,Jasper Activate SIM {f.iccid(11)}: 10000003: invalid ICCID",
    ]


def test_an_operators_retry_of_a_failed_row_counts(database: str, published: list[Message]) -> None:
    _setup()
    opened = _open(csv_file("client_code", "C1"))
    jobs.apply_rows(opened.job.id, OPERATOR)
    _finish_executions({f.iccid(1): (ExecutionStatus.FAILED, "carrier down")})
    assert _progress(opened.job.id).counts[BulkRowStatus.FAILED] == 1

    with unit_of_work() as session:
        (failed,) = f.executions(session)
        retried = executions.retry(session, failed.id, "alice", admin=False)
        claim = executions.claim(session, retried.id)
        assert claim is not None
        executions.complete(session, claim, ExecutionStatus.SUCCEEDED, "ACTIVATED")

    with unit_of_work() as session:
        assert jobs.refresh(session, opened.job.id) == 1
        assert jobs.refresh(session, opened.job.id) == 0
        (row,) = jobs.results(session, opened.job.id)
    assert (row.status, row.message) == (
        BulkRowStatus.SUCCEEDED,
        f"Jasper Activate SIM {f.iccid(1)}: ACTIVATED",
    )


def test_wait_for_outcomes_returns_once_every_row_has_one(database: str, published: list[Message]) -> None:
    _setup()
    opened = _open(csv_file("client_code", "C1"))
    jobs.apply_rows(opened.job.id, OPERATOR)
    seen: list[int] = []

    stalled = jobs.wait_for_outcomes(
        opened.job.id, idle_timeout_s=0, on_progress=lambda p: seen.append(p.waiting)
    )
    _finish_executions({f.iccid(1): (ExecutionStatus.SUCCEEDED, "ACTIVATED")})
    done = jobs.wait_for_outcomes(opened.job.id, idle_timeout_s=30)

    assert (stalled.waiting, seen) == (1, [1])
    assert (done.waiting, done.counts[BulkRowStatus.SUCCEEDED]) == (0, 1)


def test_a_page_can_apply_k_rows_at_a_time_and_show_progress(database: str, published: list[Message]) -> None:
    _setup()
    data = csv_file(HEADER, *(f"N{i},Client {i},{f.iccid(10 + i)},Jasper" for i in range(5)))
    with unit_of_work() as session:
        checked = jobs.validate(session, COMMISSION, data)  # the upload page's first look
    assert not checked.bad
    job_id = _open(data).job.id

    seen = []
    while jobs.apply_rows(job_id, OPERATOR, limit=2):
        seen.append(_progress(job_id).as_json()["counts"]["queued"])

    assert seen == [3, 1, 0]
    with unit_of_work() as session:
        assert jobs.job_for_file(session, data).id == job_id
        assert jobs.get_job(session, job_id).sha256 == hashlib.sha256(data).hexdigest()


def test_result_cells_never_start_a_spreadsheet_formula(db: Session) -> None:
    out = io.StringIO()
    rows = [jobs.ResultRow(2, "=cmd", "+1", BulkRowStatus.INVALID, "@SUM(A1)")]

    jobs.write_results(rows, out)

    assert out.getvalue().splitlines()[1] == "2,'=cmd,'+1,invalid,'@SUM(A1)"


# -- 10,000 rows ------------------------------------------------------------------------------------------


def _existing_clients(session: Session, sims: dict[str, str]) -> None:
    """Clients (code -> the ICCID of their one SIM) inserted in bulk: only the file is under test here."""
    template_id = session.scalar(select(Client.id).where(Client.client_code == SYSTEM_EVENTS_CODE))
    comm_id = session.scalar(select(CommunicatorType.id))
    session.execute(
        insert(Client),
        [{"client_code": code, "name": f"Client {code}", "template_id": template_id} for code in sims],
    )
    ids = {
        str(code): int(client_id)
        for code, client_id in session.execute(select(Client.client_code, Client.id))
    }
    session.execute(
        insert(AddonDevice),
        [
            {"client_id": ids[code], "communicator_type_id": comm_id, "device_ref_no": sim}
            for code, sim in sims.items()
        ],
    )


def test_ten_thousand_rows_with_bad_rows_and_an_interruption_apply_each_good_row_once(
    database: str, published: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    total, bad_every, new_every = 10_000, 1_000, 20
    lines, existing = [HEADER], {}
    for i in range(total):
        iccid = f.iccid(10_000 + i)
        if i % new_every == 0:  # a client to create, with its SIM
            lines.append(f"N{i:05d},Client {i},{iccid},Jasper")
        else:  # a client that exists and holds its SIM already
            existing[f"K{i:05d}"] = iccid
            lines.append(f"K{i:05d},,{typo(iccid) if i % bad_every == 7 else iccid},Jasper")
    with unit_of_work() as session:
        f.seeded_client(session, "C1")
        _existing_clients(session, existing)
    data = csv_file(*lines)
    bad = total // bad_every
    good, half = total - bad, total // 2

    real_commission = clients.commission
    pressed = 0

    def killed_halfway(*args: object, **kwargs: object) -> list[Signal]:
        nonlocal pressed
        pressed += 1
        if pressed > half:
            raise KeyboardInterrupt  # the run dies in the middle of a row
        return real_commission(*args, **kwargs)  # type: ignore[arg-type]

    opened = _open(data, skip_bad_rows=True)
    monkeypatch.setattr(clients, "commission", killed_halfway)
    with pytest.raises(KeyboardInterrupt):
        jobs.apply_rows(opened.job.id, OPERATOR)
    monkeypatch.setattr(clients, "commission", real_commission)
    assert _progress(opened.job.id).counts[BulkRowStatus.APPLIED] == half

    resumed = _open(data, skip_bad_rows=True)
    assert (resumed.resumed, resumed.job.id) == (True, opened.job.id)
    assert jobs.apply_rows(resumed.job.id, OPERATOR) == good - half

    now = _progress(opened.job.id)
    assert (now.counts[BulkRowStatus.APPLIED], now.counts[BulkRowStatus.INVALID], now.queued) == (
        good,
        bad,
        0,
    )
    with unit_of_work() as session:
        commissioned = session.execute(
            select(func.count(), func.count(func.distinct(Signal.client_id))).where(
                Signal.type_no == COMMISSIONED
            )
        ).one()
        executed = session.execute(
            select(func.count(), func.count(func.distinct(TaskExecution.target_key)))
        ).one()
        devices = session.scalar(select(func.count()).select_from(AddonDevice))
    assert tuple(commissioned) == (good, good)
    assert tuple(executed) == (good, good)
    assert devices == total
    assert len(published) == good
