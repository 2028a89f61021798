"""Bulk commissioning: a CSV file of clients, checked as a whole, then pressed row by row.

Every row is validated before anything is applied, and all the errors are reported at once; a file
with a bad row changes nothing unless bad rows are to be skipped. Each good row then goes through the
normal pipeline (``clients.commission`` or ``clients.decommission``) in its own unit of work, which
also marks the row applied: a run that stops halfway loses at most the row in flight, and running the
same file again resumes its job without applying any row twice. The carrier's outcomes are read back
from the task executions the rows created; the workers pace the carrier calls as for any press.

The CLI and the web page drive a job alike: ``open_job`` with the uploaded bytes, ``apply_rows`` (all,
or K at a time from a page), ``progress`` for a live view, ``refresh`` and ``results`` for the result
file. Functions that take a session run in the caller's unit of work; ``apply_rows`` and
``wait_for_outcomes`` open one unit of work per step, as the worker's runner does.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO, TypeVar

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from centre import clients, oplog, spreadsheet, validation
from centre.clients import ClientRef
from centre.errors import InvalidInput, NotFound, UserError
from models import (
    ACTIVE_STATUSES,
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
    utcnow,
)
from models.db import unit_of_work

# The columns a bulk file may have, with what they mean (shown in the command help).
COLUMNS: dict[str, str] = {
    "client_code": "required: the client's code",
    "name": "commission: the name of the client to create when the code does not exist yet",
    "iccid": "the SIM to add to the client as an add-on device, if it does not have it already",
    "communicator_type": "required with an ICCID: the communicator type (carrier account) of the SIM",
    "reason": "decommission, required: the decommission reason",
    "offline": "decommission: yes to take the client offline (default no)",
    "area": "the client's area, when the code has several (a new client: 1)",
    "port": "the client's port, when the code has several (a new client: 1)",
}
_DECOMMISSION_ONLY = ("reason", "offline")
RESULT_COLUMNS = ("row", "client_code", "iccid", "status", "message")
MAX_ROWS = 100_000

# Rows per query when looking many up at once: well below the bound-parameter limits of SQLite and
# PostgreSQL, however many signals a row has.
_CHUNK = 500
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
_VERB = {BulkKind.COMMISSION: "commissioned", BulkKind.DECOMMISSION: "decommissioned"}

T = TypeVar("T")


# -- validation ------------------------------------------------------------------------------------------


@dataclass
class CheckedRow:
    """One data row of a file after validation: the values to apply, or what is wrong with it."""

    number: int
    client_code: str
    iccid: str
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    client_id: int | None = None  # the existing client it names; None for one to create

    @property
    def message(self) -> str:
        return "; ".join(self.errors)


@dataclass(frozen=True)
class Validation:
    """Every row of a file, checked; ``bad`` rows have at least one error."""

    kind: BulkKind
    rows: list[CheckedRow]

    @property
    def bad(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.errors]

    @property
    def good(self) -> list[CheckedRow]:
        return [row for row in self.rows if not row.errors]

    def result_rows(self) -> list[ResultRow]:
        """The result file of a file refused as a whole: its bad rows invalid, the others skipped."""
        return [
            ResultRow(row.number, row.client_code, row.iccid, BulkRowStatus.INVALID, row.message)
            if row.errors
            else ResultRow(
                row.number,
                row.client_code,
                row.iccid,
                BulkRowStatus.SKIPPED,
                "not applied: the file has bad rows",
            )
            for row in self.rows
        ]


class BadFile(InvalidInput):
    """Some rows of the file are bad, and nothing was applied; ``validation`` has every error."""

    def __init__(self, checked: Validation) -> None:
        self.validation = checked
        bad, total = len(checked.bad), len(checked.rows)
        super().__init__(f"{bad} of {total} rows of the file are bad; nothing was applied")


@dataclass(frozen=True)
class _RawRow:
    number: int
    fields: dict[str, str]
    extra: int  # filled cells outside the columns the header names


@dataclass(frozen=True)
class _Known:
    """An existing client, as validation needs it."""

    id: int
    code: str
    area: int
    port: str
    is_template: bool
    base_client_id: int | None
    linked_to_base: bool

    @property
    def label(self) -> str:
        return (
            self.code
            if (self.area, self.port) == (1, "1")
            else f"{self.code} area {self.area} port {self.port}"
        )

    @property
    def family(self) -> int:
        """The base account of the accounts one press changes together (see ``clients.family``)."""
        return self.base_client_id if self.base_client_id and self.linked_to_base else self.id


def validate(session: Session, kind: BulkKind, data: bytes) -> Validation:
    """Check every row of a bulk file (CSV bytes with a header row); reads the database, changes nothing.

    Errors in the file as a whole (not UTF-8, unknown columns, no rows) raise InvalidInput; errors in
    rows are collected on the rows, all of them, with the row numbers a spreadsheet shows.
    """
    rows = [_check_fields(kind, raw) for raw in _read(kind, data)]
    comms = {
        name: comm_id for comm_id, name in session.execute(select(CommunicatorType.id, CommunicatorType.name))
    }
    known = _known_clients(session, {row.data["code"] for row in rows if "code" in row.data})
    iccids = {row.data["iccid"] for row in rows if row.data.get("iccid")}
    holders = _device_holders(session, iccids, list(comms.values()))
    seen_clients: dict[object, tuple[int, str]] = {}
    seen_iccids: dict[str, int] = {}
    for row in rows:
        _check_communicator_type(row, comms)
        _check_client(kind, row, known, seen_clients)
        _check_iccid(row, holders, seen_iccids)
    return Validation(kind, rows)


def _read(kind: BulkKind, data: bytes) -> list[_RawRow]:
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the file is not UTF-8 text (byte {exc.start + 1}): save it as CSV UTF-8"
        ) from None
    if "\x00" in text:
        raise InvalidInput("the file is not a CSV text file")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","  # Excel in many locales
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(enumerate(reader, start=1))
    except csv.Error as exc:
        raise InvalidInput(f"the file is not valid CSV near line {reader.line_num}: {exc}") from None
    records = [(number, cells) for number, cells in records if any(cell.strip() for cell in cells)]
    if not records:
        raise InvalidInput("the file is empty: it needs a header row and one row per client")
    header = _header(kind, records[0][1])
    if len(records) == 1:
        raise InvalidInput("the file has a header row but no rows")
    if len(records) - 1 > MAX_ROWS:
        raise InvalidInput(f"the file has {len(records) - 1} rows; at most {MAX_ROWS} at a time: split it")
    return [_raw_row(number, header, cells) for number, cells in records[1:]]


def _raw_row(number: int, header: list[str], cells: list[str]) -> _RawRow:
    fields = {name: cells[i].strip() for i, name in enumerate(header) if name and i < len(cells)}
    # Spreadsheets pad rows with empty cells; only a filled cell outside the named columns is wrong.
    outside = sum(1 for i, cell in enumerate(cells) if cell.strip() and (i >= len(header) or not header[i]))
    return _RawRow(number, fields, outside)


def _header(kind: BulkKind, cells: list[str]) -> list[str]:
    names = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in cells]
    known = ", ".join(COLUMNS)
    unknown = [cell.strip() for cell, name in zip(cells, names, strict=True) if name and name not in COLUMNS]
    if unknown:
        listed = ", ".join(repr(u[:40]) for u in unknown)
        raise InvalidInput(f"unknown column(s) {listed} in the header row; the columns are: {known}")
    doubled = sorted({name for name in names if name and names.count(name) > 1})
    if doubled:
        raise InvalidInput(f"column(s) {', '.join(doubled)} appear more than once in the header row")
    if "client_code" not in names:
        raise InvalidInput(f"the header row has no client_code column; the columns are: {known}")
    if kind == BulkKind.DECOMMISSION and "reason" not in names:
        raise InvalidInput("a decommission file needs a reason column")
    if kind == BulkKind.COMMISSION:
        wrong = [name for name in _DECOMMISSION_ONLY if name in names]
        if wrong:
            # A decommission file run as a commission would switch every SIM on: refuse it.
            raise InvalidInput(
                f"column(s) {', '.join(wrong)} belong in a decommission file, not a commission file"
            )
    return names


def _check_fields(kind: BulkKind, raw: _RawRow) -> CheckedRow:
    fields = raw.fields
    row = CheckedRow(raw.number, fields.get("client_code", "")[:100], fields.get("iccid", "")[:40])
    if raw.extra:
        row.errors.append(f"{raw.extra} filled cell(s) outside the columns named in the header row")
    values: dict[str, Any] = {}
    checks: list[tuple[str, Callable[[], object]]] = [
        ("code", lambda: _client_code(fields.get("client_code", ""))),
        ("area", lambda: _area(fields.get("area", ""))),
        ("port", lambda: validation.required_text(fields["port"], "port", 8) if fields.get("port") else None),
        (
            "name",
            lambda: validation.required_text(fields["name"], "name", 200) if fields.get("name") else None,
        ),
        ("iccid", lambda: validation.iccid(fields["iccid"]) if fields.get("iccid") else None),
        ("communicator_type", lambda: fields.get("communicator_type") or None),
    ]
    if kind == BulkKind.DECOMMISSION:
        checks.append(("reason", lambda: validation.required_text(fields.get("reason", ""), "reason", 500)))
        checks.append(("offline", lambda: _yes_no(fields.get("offline", ""), "offline")))
    for name, check in checks:
        try:
            values[name] = check()
        except InvalidInput as exc:
            row.errors.append(str(exc))
    if values.get("iccid") and not values.get("communicator_type"):
        row.errors.append("an ICCID needs its communicator_type")
    row.data = values
    return row


def _client_code(text: str) -> str:
    if not text:
        raise InvalidInput("client_code is empty")
    return validation.client_code(text)


def _area(text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(f"area {text[:20]!r} must be a whole number from 0 to 9999")
    return validation.number_in_range(int(text), "area", 0, 9999)


def _yes_no(text: str, what: str) -> bool:
    if text.lower() in _YES:
        return True
    if text.lower() in _NO:
        return False
    raise InvalidInput(f"{what} {text[:20]!r} must be yes or no")


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _known_clients(session: Session, codes: set[str]) -> dict[str, list[_Known]]:
    """Every account with one of ``codes``, by code, ordered as ``clients.find`` orders them."""
    found: dict[str, list[_Known]] = defaultdict(list)
    for chunk in _chunks(sorted(codes)):
        rows = session.execute(
            select(
                Client.id,
                Client.client_code,
                Client.area,
                Client.port,
                Client.is_template,
                Client.base_client_id,
                Client.linked_to_base,
            )
            .where(Client.client_code.in_(chunk))
            .order_by(Client.area, Client.port)
        )
        for r in rows:
            found[r.client_code].append(_Known(*r))
    return found


def _device_holders(session: Session, iccids: set[str], comm_ids: list[int]) -> dict[str, list[_Known]]:
    """The accounts that hold each ICCID already, on any communicator type."""
    held: dict[str, list[_Known]] = defaultdict(list)
    if not comm_ids:
        return held
    for chunk in _chunks(sorted(iccids)):
        rows = session.execute(
            select(
                AddonDevice.device_ref_no,
                Client.id,
                Client.client_code,
                Client.area,
                Client.port,
                Client.is_template,
                Client.base_client_id,
                Client.linked_to_base,
            )
            .join(Client, AddonDevice.client_id == Client.id)
            # The communicator type comes first in the unique index on add-on devices.
            .where(AddonDevice.communicator_type_id.in_(comm_ids), AddonDevice.device_ref_no.in_(chunk))
        )
        for ref, client_id, code, area, port, is_template, base_id, linked in rows:
            if ref is not None:
                held[ref].append(_Known(client_id, code, area, port, is_template, base_id, linked))
    return held


def _check_communicator_type(row: CheckedRow, comms: dict[str, int]) -> None:
    name = row.data.get("communicator_type")
    if name and name not in comms:
        choices = f" (there are: {', '.join(sorted(comms))})" if 0 < len(comms) <= 10 else ""
        row.errors.append(f"no communicator type named {name[:100]!r}{choices}")


def _check_client(
    kind: BulkKind, row: CheckedRow, known: dict[str, list[_Known]], seen: dict[object, tuple[int, str]]
) -> None:
    code = row.data.get("code")
    if code is None or "area" not in row.data or "port" not in row.data:
        return
    area, port = row.data["area"], row.data["port"]
    matches = [
        k
        for k in known.get(code, [])
        if (area is None or k.area == area) and (port is None or k.port == port)
    ]
    where = " ".join(
        p for p in (f"area {area}" if area is not None else "", f"port {port}" if port else "") if p
    )
    named = f"{code} ({where})" if where else code
    if len(matches) > 1:
        row.errors.append(f"client code {code!r} has several areas or ports: give the area and port")
        return
    if matches:
        client = matches[0]
        if client.is_template:
            row.errors.append(f"{client.label} is a template account: templates are not commissioned")
            return
        row.client_id = client.id
        key: object = client.family
        label = client.label
    elif kind == BulkKind.DECOMMISSION:
        row.errors.append(f"no client with code {named}")
        return
    elif not row.data.get("name"):
        row.errors.append(f"no client with code {named}: give a name to create it")
        return
    else:
        key = ("new", code, 1 if area is None else area, port or "1")
        label = named
    if key in seen:
        number, first = seen[key]
        if first == label:
            row.errors.append(f"client {label} is also on row {number}")
        else:
            row.errors.append(
                f"client {label} is {_VERB[kind]} together with {first} (base and linked areas), as on "
                f"row {number}: keep one of the two rows"
            )
        return
    seen[key] = (row.number, label)


def _check_iccid(row: CheckedRow, holders: dict[str, list[_Known]], seen: dict[str, int]) -> None:
    iccid = row.data.get("iccid")
    if not iccid:
        return
    if iccid in seen:
        row.errors.append(f"ICCID {iccid} is also on row {seen[iccid]}")
        return
    seen[iccid] = row.number
    others = [h for h in holders.get(iccid, []) if h.id != row.client_id]
    if others:
        row.errors.append(f"ICCID {iccid} is already on client {others[0].label}")


# -- jobs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """The job a file runs as; ``resumed`` when it was started before (``validation`` is then None)."""

    job: BulkJob
    resumed: bool
    validation: Validation | None


def open_job(
    session: Session,
    kind: BulkKind,
    file_name: str,
    data: bytes,
    operator: str,
    *,
    skip_bad_rows: bool = False,
    resume: bool = True,
) -> Opened:
    """The job for a bulk file: the one this same file (same kind, same bytes) started, or a new one.

    A new job is created only from a file whose every row is valid, or with ``skip_bad_rows`` (its bad
    rows are recorded as invalid and never applied); otherwise BadFile, and nothing is written.
    ``resume=False`` starts a new job even for a file run before: its rows are applied again.
    """
    digest = hashlib.sha256(data).hexdigest()
    if resume:
        earlier = session.scalar(
            select(BulkJob)
            .where(BulkJob.kind == kind, BulkJob.sha256 == digest)
            .order_by(BulkJob.id.desc())
            .limit(1)
        )
        if earlier is not None:
            return Opened(earlier, True, None)
    checked = validate(session, kind, data)
    if not checked.good or (checked.bad and not skip_bad_rows):
        raise BadFile(checked)
    job = BulkJob(
        kind=kind,
        file_name=validation.required_text(file_name, "file name", 255),
        sha256=digest,
        operator=operator,
        skip_bad_rows=skip_bad_rows,
        row_count=len(checked.rows),
        invalid_count=len(checked.bad),
    )
    session.add(job)
    session.flush()
    session.execute(insert(BulkRow), [_new_row(job.id, row) for row in checked.rows])
    oplog.record(
        session,
        operator,
        f"bulk.{kind.value}",
        f"bulk job {job.id}: {job.file_name}, {job.row_count} rows ({job.invalid_count} invalid, skipped)",
        entity_id=job.id,
    )
    return Opened(job, False, checked)


def _new_row(job_id: int, row: CheckedRow) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "number": row.number,
        "client_code": row.client_code,
        "iccid": row.data.get("iccid") or row.iccid,
        "data": {} if row.errors else row.data,
        "status": BulkRowStatus.INVALID if row.errors else BulkRowStatus.QUEUED,
        "message": row.message,
        "client_id": row.client_id,
        "signal_ids": [],
        "execution_ids": [],
    }


def get_job(session: Session, job_id: int) -> BulkJob:
    """The bulk job ``job_id``; NotFound otherwise."""
    job = session.get(BulkJob, job_id)
    if job is None:
        raise NotFound(f"no bulk job {job_id}")
    return job


def job_for_file(session: Session, data: bytes, kind: BulkKind | None = None) -> BulkJob:
    """The newest job run from a file with exactly these bytes; NotFound if it was never run."""
    query = select(BulkJob).where(BulkJob.sha256 == hashlib.sha256(data).hexdigest())
    if kind is not None:
        query = query.where(BulkJob.kind == kind)
    job = session.scalar(query.order_by(BulkJob.id.desc()).limit(1))
    if job is None:
        raise NotFound("this file has not been run as a bulk job")
    return job


def recent_jobs(session: Session, limit: int = 50) -> list[BulkJob]:
    """The newest ``limit`` jobs, newest first."""
    return list(session.scalars(select(BulkJob).order_by(BulkJob.id.desc()).limit(limit)))


def last_applied_at(session: Session, job_id: int) -> datetime | None:
    """When the job's newest applied row was applied (None before its first): a page tells by it a job
    whose background run stopped from one still running."""
    return session.scalar(select(func.max(BulkRow.applied_at)).where(BulkRow.job_id == job_id))


# -- applying rows -------------------------------------------------------------------------------------


def apply_next(session: Session, job_id: int, operator: str) -> BulkRow | None:
    """Apply the job's next queued row in this unit of work; None when no row is queued.

    The row is marked applied in the same transaction as its press, so it is applied once whatever
    happens. A row that the database no longer allows (a client or SIM changed since validation) is
    marked skipped and nothing of it is kept.
    """
    job = get_job(session, job_id)
    row = session.scalar(
        select(BulkRow)
        .where(BulkRow.job_id == job_id, BulkRow.status == BulkRowStatus.QUEUED)
        .order_by(BulkRow.number)
        .limit(1)
        .with_for_update(skip_locked=True)  # two runs of one job apply different rows
    )
    if row is None:
        return None
    now = utcnow()
    try:
        with session.begin_nested():
            client, logged = _press(session, job, row, operator)
    except UserError as exc:
        row.status, row.message, row.finished_at = BulkRowStatus.SKIPPED, str(exc), now
        session.flush()
        return row
    created = _executions_of(session, logged)
    row.client_id = client.id
    row.signal_ids = [signal.id for signal in logged]
    row.execution_ids = created
    row.status, row.applied_at = BulkRowStatus.APPLIED, now
    if created:
        row.message = f"{_VERB[job.kind]}; waiting for {len(created)} task execution(s)"
    else:
        row.message = f"{_VERB[job.kind]}; no task execution was created, so the carrier was not asked"
        row.finished_at = now
    session.flush()
    return row


def _press(session: Session, job: BulkJob, row: BulkRow, operator: str) -> tuple[Client, list[Signal]]:
    values = row.data
    ref = ClientRef(values["code"], values["area"], values["port"])
    if job.kind == BulkKind.COMMISSION:
        client = _find_or_add(session, ref, values.get("name"), operator)
        _add_sim(session, client, values, operator)
        memo = f"bulk job {job.id} ({job.file_name}) row {row.number}"
        return client, clients.commission(session, client, operator, memo)
    client = clients.find(session, ref)
    _add_sim(session, client, values, operator)
    return client, clients.decommission(
        session, client, operator, values["reason"], offline=values["offline"]
    )


def _find_or_add(session: Session, ref: ClientRef, name: str | None, operator: str) -> Client:
    try:
        return clients.find(session, ref)
    except NotFound:
        if not name:
            raise
    area = 1 if ref.area is None else ref.area
    return clients.add(session, ref.code, name, operator, area=area, port=ref.port or "1")


def _add_sim(session: Session, client: Client, values: dict[str, Any], operator: str) -> None:
    iccid = values.get("iccid")
    if not iccid:
        return
    has_it = session.scalar(
        select(AddonDevice.id).where(AddonDevice.client_id == client.id, AddonDevice.device_ref_no == iccid)
    )
    if has_it is None:
        clients.add_device(session, client, values["communicator_type"], iccid, operator)


def _executions_of(session: Session, logged: list[Signal]) -> list[int]:
    if not logged:
        return []
    # Filtering on the clients too lets the database use the index on task_execution.client_id.
    return list(
        session.scalars(
            select(TaskExecution.id)
            .where(
                TaskExecution.client_id.in_({s.client_id for s in logged}),
                TaskExecution.signal_id.in_([s.id for s in logged]),
            )
            .order_by(TaskExecution.id)
        )
    )


# -- outcomes, progress and results ----------------------------------------------------------------------


def refresh(session: Session, job_id: int) -> int:
    """Bring the job's rows up to date with their executions; returns how many rows changed.

    A row succeeds when the newest execution for each of its targets succeeded, and fails when one of
    them ended otherwise; its message is the outcome as the client's history shows it. Failed rows are
    read again too: once an operator's retry of their execution succeeds, they succeed.
    """
    waiting = session.execute(
        select(BulkRow.id, BulkRow.status, BulkRow.signal_ids)
        .where(
            BulkRow.job_id == job_id,
            or_(
                and_(BulkRow.status == BulkRowStatus.APPLIED, BulkRow.finished_at.is_(None)),
                BulkRow.status == BulkRowStatus.FAILED,
            ),
        )
        .order_by(BulkRow.number)
    ).all()
    finished = 0
    for chunk in _chunks(waiting):
        updates = _finished_rows(session, chunk)
        if updates:
            session.execute(update(BulkRow), updates)
            finished += len(updates)
    return finished


def _finished_rows(session: Session, chunk: Sequence[Any]) -> list[dict[str, Any]]:
    signal_ids = [signal_id for row in chunk for signal_id in row.signal_ids]
    latest: dict[int, dict[object, Any]] = defaultdict(dict)  # signal -> target -> execution row
    found = session.execute(
        select(
            TaskExecution.id,
            TaskExecution.signal_id,
            TaskExecution.client_id,
            TaskExecution.target_key,
            TaskExecution.status,
            TaskExecution.last_error,
        )
        .where(
            TaskExecution.client_id.in_(select(Signal.client_id).where(Signal.id.in_(signal_ids))),
            TaskExecution.signal_id.in_(signal_ids),
        )
        .order_by(TaskExecution.id)
    )
    for execution in found:
        target = execution.target_key or execution.id  # executions without a target stand alone
        latest[execution.signal_id][target] = execution  # ordered by id: the newest wins
    done: dict[int, list[Any]] = {}
    for row in chunk:
        ran = [e for signal_id in row.signal_ids for e in latest[signal_id].values()]
        if not ran or any(e.status in ACTIVE_STATUSES for e in ran):
            continue
        if row.status == BulkRowStatus.FAILED and any(e.status != ExecutionStatus.SUCCEEDED for e in ran):
            continue  # still failed: nothing new to write
        done[row.id] = ran
    if not done:
        return []
    memos = _outcome_memos(session, [e for ran in done.values() for e in ran])
    now = utcnow()
    return [
        {
            "id": row_id,
            "status": BulkRowStatus.SUCCEEDED
            if all(e.status == ExecutionStatus.SUCCEEDED for e in ran)
            else BulkRowStatus.FAILED,
            "message": " | ".join(memos.get(e.id) or f"{e.status.value}: {e.last_error or ''}" for e in ran),
            "finished_at": now,
        }
        for row_id, ran in done.items()
    ]


def _outcome_memos(session: Session, executions: list[Any]) -> dict[int, str]:
    """The outcome signal's memo of each execution, on the execution's own client."""
    owner = {e.id: e.client_id for e in executions}
    memos: dict[int, str] = {}
    for chunk in _chunks(list(owner)):
        rows = session.execute(
            select(Signal.execution_id, Signal.client_id, Signal.memo).where(Signal.execution_id.in_(chunk))
        )
        for execution_id, client_id, memo in rows:
            if execution_id is not None and owner.get(execution_id) == client_id:
                memos[execution_id] = memo
    return memos


@dataclass(frozen=True)
class Progress:
    """How far a job is: rows per status, and how many applied rows still wait for the carrier."""

    job_id: int
    kind: BulkKind
    file_name: str
    total: int
    counts: dict[BulkRowStatus, int]
    waiting: int

    @property
    def queued(self) -> int:
        return self.counts[BulkRowStatus.QUEUED]

    @property
    def finished(self) -> bool:
        """Nothing more will happen: every row was applied or refused, and every outcome is in."""
        return self.queued == 0 and self.waiting == 0

    @property
    def not_done(self) -> int:
        """Rows that were not carried out: invalid, skipped, or failed at the carrier."""
        return sum(
            self.counts[s] for s in (BulkRowStatus.INVALID, BulkRowStatus.SKIPPED, BulkRowStatus.FAILED)
        )

    def summary(self) -> str:
        """``'5 succeeded, 2 applied (1 waiting for the carrier), 1 invalid'``: the non-zero counts."""
        parts = []
        for status, count in self.counts.items():
            if count:
                waiting = (
                    f" ({self.waiting} waiting for the carrier)" if status == BulkRowStatus.APPLIED else ""
                )
                parts.append(f"{count} {status.value}{waiting}")
        return ", ".join(parts) or "no rows"

    def as_json(self) -> dict[str, Any]:
        """For a web page's live view."""
        return {
            "job_id": self.job_id,
            "kind": self.kind.value,
            "file_name": self.file_name,
            "total": self.total,
            "counts": {status.value: count for status, count in self.counts.items()},
            "waiting": self.waiting,
            "finished": self.finished,
        }


def progress(session: Session, job_id: int) -> Progress:
    """The job's rows counted by status (one query)."""
    job = get_job(session, job_id)
    counts = dict.fromkeys(BulkRowStatus, 0)
    waiting = 0
    rows = session.execute(
        select(BulkRow.status, func.count(), func.count(BulkRow.finished_at))
        .where(BulkRow.job_id == job_id)
        .group_by(BulkRow.status)
    )
    for status, count, finished in rows:
        counts[status] = count
        if status == BulkRowStatus.APPLIED:
            waiting = count - finished
    return Progress(job.id, job.kind, job.file_name, job.row_count, counts, waiting)


@dataclass(frozen=True)
class ResultRow:
    """One line of the result file."""

    number: int
    client_code: str
    iccid: str
    status: BulkRowStatus
    message: str


def results(session: Session, job_id: int) -> list[ResultRow]:
    """Every row of the job with its status and message, in file order."""
    get_job(session, job_id)
    rows = session.execute(
        select(BulkRow.number, BulkRow.client_code, BulkRow.iccid, BulkRow.status, BulkRow.message)
        .where(BulkRow.job_id == job_id)
        .order_by(BulkRow.number)
    )
    return [ResultRow(*row) for row in rows]


def write_results(rows: Iterable[ResultRow], out: TextIO) -> None:
    """The result file as CSV: row, client_code, iccid, status, message."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.number,
                spreadsheet.cell(row.client_code),
                spreadsheet.cell(row.iccid),
                row.status.value,
                spreadsheet.cell(row.message),
            ]
        )


# -- drivers: one unit of work per step ------------------------------------------------------------------


def apply_rows(
    job_id: int,
    operator: str,
    *,
    limit: int | None = None,
    on_row: Callable[[int, BulkRowStatus], None] | None = None,
) -> int:
    """Apply the job's queued rows (at most ``limit``), each in its own unit of work; returns how many.

    A web page can call it with a small ``limit`` per request and show ``progress`` in between.
    """
    count = 0
    while limit is None or count < limit:
        with unit_of_work() as session:
            row = apply_next(session, job_id, operator)
            step = (row.number, row.status) if row is not None else None
        if step is None:
            break
        count += 1
        if on_row is not None:
            on_row(*step)
    return count


def wait_for_outcomes(
    job_id: int,
    *,
    idle_timeout_s: float,
    on_progress: Callable[[Progress], None] | None = None,
    min_poll_s: float = 0.2,
    max_poll_s: float = 5.0,
) -> Progress:
    """Poll until every applied row has its outcome, or no row finished for ``idle_timeout_s``.

    The deadline moves with progress: 10,000 rows take hours at a carrier's few calls per second,
    and that is fine while rows keep finishing. The poll interval grows while nothing changes.
    """
    poll_s = min_poll_s
    deadline = time.monotonic() + idle_timeout_s
    while True:
        with unit_of_work() as session:
            changed = refresh(session, job_id)
            now = progress(session, job_id)
        if on_progress is not None:
            on_progress(now)
        if now.waiting == 0 or (time.monotonic() >= deadline and not changed):
            return now
        if changed:
            deadline, poll_s = time.monotonic() + idle_timeout_s, min_poll_s
        else:
            poll_s = min(max_poll_s, poll_s * 2)
        time.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
