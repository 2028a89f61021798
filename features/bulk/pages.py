"""Bulk commissioning for admins: upload a CSV file, see every bad row at once, then watch the job.

The page does what ``commissioner bulk`` does (features/bulk/cli.py), with the rows applied by the workers
instead of the request: the upload only validates the file and records the job (jobs.py),
and ``bulk.apply`` (features/bulk/celery_tasks.py) applies its rows a run at a time. The job page polls its
progress; the same file uploaded again, or Resume on a job that stopped, carries on without
applying any row twice.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from centre.errors import InvalidInput
from features.bulk import celery_tasks, jobs
from models import BulkJob, BulkKind, BulkRowStatus, utcnow
from models.db import unit_of_work
from web.auth import PageAdmin, Principal, page_admin
from web.forms import NO_FORM, Form, FormState, read_form
from web.limits import MAX_ID
from web.templating import flash, render, render_fragment

router = APIRouter(dependencies=[Depends(page_admin)])

JobId = Annotated[int, Path(ge=1, le=MAX_ID)]

# 10,000 rows of a full file are about 1 MB: ten times that is room for any file worth uploading.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The form's other fields and the multipart framing around the file.
_FORM_OVERHEAD_BYTES = 64 * 1024
JOBS_LISTED = 20
PROBLEM_ROWS_SHOWN = 100
# A job with queued rows and no row applied for this long has lost its background run: offer Resume.
STALLED_AFTER_S = 60.0
_NOT_DONE = (BulkRowStatus.INVALID, BulkRowStatus.SKIPPED, BulkRowStatus.FAILED)
_KIND_LABELS = {BulkKind.COMMISSION: "Commission", BulkKind.DECOMMISSION: "Decommission"}


# -- reading the upload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """The upload form: its text fields, and the file (``data`` None when none was chosen)."""

    form: Form
    file_name: str
    data: bytes | None
    too_large: bool


async def read_upload(request: Request) -> Upload:
    """Read the form and at most ``MAX_UPLOAD_BYTES`` (and one) of its file."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + _FORM_OVERHEAD_BYTES:
        return Upload(Form({}), "", None, too_large=True)  # refused before the body is read
    form = await read_form(request)
    sent = (await request.form()).get("file") if _is_multipart(request) else None
    if not isinstance(sent, UploadFile) or not sent.filename:
        return Upload(form, "", None, too_large=False)
    data = await sent.read(MAX_UPLOAD_BYTES + 1)
    return Upload(form, _file_name(sent.filename), data, too_large=len(data) > MAX_UPLOAD_BYTES)


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


def _file_name(sent: str) -> str:
    """The name of the uploaded file without any folder, printable and short enough to store."""
    name = sent.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "upload.csv"


UploadData = Annotated[Upload, Depends(read_upload)]


# -- the upload page and the list of jobs --------------------------------------------------------------


@dataclass(frozen=True)
class JobLine:
    job: BulkJob
    progress: jobs.Progress
    stalled: bool


def _stalled(session: Session, job: BulkJob, now: jobs.Progress) -> bool:
    if not now.queued:
        return False
    last = jobs.last_applied_at(session, job.id) or job.created_at
    return utcnow() - last > timedelta(seconds=STALLED_AFTER_S)


def _job_line(session: Session, job: BulkJob) -> JobLine:
    jobs.refresh(session, job.id)
    now = jobs.progress(session, job.id)
    return JobLine(job, now, _stalled(session, job, now))


def _upload_page(
    request: Request,
    user: Principal,
    state: FormState = NO_FORM,
    refused: jobs.Validation | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with unit_of_work() as session:
        lines = [_job_line(session, job) for job in jobs.recent_jobs(session, JOBS_LISTED)]
        context: dict[str, Any] = {
            "nav": "bulk",
            "state": state,
            "refused": refused,
            "jobs": lines,
            "columns": jobs.COLUMNS,
            "kinds": _KIND_LABELS,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        }
        return render(request, "bulk.html", context, user=user, status_code=status_code)


@router.get("/bulk")
def upload_page(request: Request, user: PageAdmin) -> Response:
    return _upload_page(request, user)


@router.post("/bulk")
def upload(request: Request, user: PageAdmin, upload: UploadData) -> Response:
    """Validate the file and record its job, or show every bad row; the rows are applied in the background."""
    form = upload.form
    values = form.refill()

    def refuse(field: str, message: str, status_code: int = 422) -> HTMLResponse:
        return _upload_page(
            request, user, FormState("upload", values, {field: message}), status_code=status_code
        )

    if upload.too_large:
        mb = MAX_UPLOAD_BYTES // (1024 * 1024)
        return refuse("file", f"The file is larger than {mb} MB: split it into smaller files.", 413)
    kind = values.get("kind", "")
    if kind not in {k.value for k in BulkKind}:
        return refuse("kind", "Choose Commission or Decommission.")
    if upload.data is None:
        return refuse("file", "Choose a CSV file to upload.")
    try:
        with unit_of_work() as session:
            opened = jobs.open_job(
                session,
                BulkKind(kind),
                upload.file_name,
                upload.data,
                user.name,
                skip_bad_rows=form.checked("skip_bad_rows"),
            )
            job_id = opened.job.id
            queued = jobs.progress(session, job_id).queued
            if queued:
                _start(session, job_id, user.name)
            message = _started_message(opened, queued)
    except jobs.BadFile as exc:
        state = FormState("upload", values, {"": f"{exc}. {_hint(exc.validation)}"})
        return _upload_page(request, user, state, exc.validation, status_code=422)
    except InvalidInput as exc:
        return refuse("file", f"{str(exc)[:1].upper()}{str(exc)[1:]}; nothing was applied.")
    flash(request, message)
    return RedirectResponse(f"/bulk/{job_id}", status_code=303)


def _start(session: Session, job_id: int, operator: str) -> None:
    """Ring for a background run of the job once this unit of work commits."""
    celery_tasks.publish_after_commit(session, job_id, operator)


def _hint(checked: jobs.Validation) -> str:
    good = len(checked.good)
    if not good:
        return "Fix them and upload the file again."
    rows = "the good row" if good == 1 else f"the {good} good rows"
    return f"Fix them and upload the file again, or tick “Skip bad rows” to apply {rows} only."


def _started_message(opened: jobs.Opened, queued: int) -> str:
    job = opened.job
    if not opened.resumed:
        skipped = f" ({job.invalid_count} bad rows skipped)" if job.invalid_count else ""
        return (
            f"Bulk job {job.id} started: {job.kind.value} {job.row_count} rows of {job.file_name}{skipped}. "
            "The rows are applied in the background: you may leave this page."
        )
    before = f"This file was uploaded before as bulk job {job.id} ({job.created_at:%Y-%m-%d %H:%M} UTC)"
    if queued:
        return f"{before}: resuming it. Rows already applied are not applied again."
    return f"{before} and every row of it was applied already: nothing was applied again."


# -- a job: progress, Resume, results -------------------------------------------------------------


def _progress_context(session: Session, job: BulkJob) -> dict[str, Any]:
    line = _job_line(session, job)
    now = line.progress
    invalid = now.counts[BulkRowStatus.INVALID]
    problems = []
    if now.finished:
        problems = [r for r in jobs.results(session, job.id) if r.status in _NOT_DONE][:PROBLEM_ROWS_SHOWN]
    return {
        "job": job,
        "p": now,
        "stalled": line.stalled,
        # The bars count the rows to apply: a skipped bad row is never applied.
        "to_apply": now.total - invalid,
        "applied": now.total - invalid - now.queued,
        "finished": now.total - invalid - now.queued - now.waiting,
        "problems": problems,
        "statuses": list(BulkRowStatus),
    }


@router.get("/bulk/{job_id}")
def job_page(request: Request, user: PageAdmin, job_id: JobId) -> Response:
    with unit_of_work() as session:
        job = jobs.get_job(session, job_id)
        context = {"nav": "bulk", **_progress_context(session, job)}
        return render(request, "bulk_job.html", context, user=user)


@router.get("/bulk/{job_id}/progress")
def job_progress(request: Request, user: PageAdmin, job_id: JobId) -> Response:
    """The job's progress for htmx; it stops polling once the job is finished."""
    with unit_of_work() as session:
        job = jobs.get_job(session, job_id)
        return render_fragment(request, "bulk_progress.html", _progress_context(session, job), user=user)


@router.post("/bulk/{job_id}/resume")
def resume(request: Request, user: PageAdmin, job_id: JobId) -> Response:
    """Start a background run of a job that stopped; a job still running gets a second one, harmlessly."""
    with unit_of_work() as session:
        queued = jobs.progress(session, job_id).queued
        if queued:
            _start(session, job_id, user.name)
    if queued:
        flash(request, f"Resuming bulk job {job_id}: {queued} rows to apply. No row is applied twice.")
    else:
        flash(request, f"Bulk job {job_id} has no row left to apply.")
    return RedirectResponse(f"/bulk/{job_id}", status_code=303)


@router.get("/bulk/{job_id}/results.csv")
def results_file(user: PageAdmin, job_id: JobId) -> Response:
    """The per-row result file (row, client_code, iccid, status, message), with the outcomes so far."""
    with unit_of_work() as session:
        job = jobs.get_job(session, job_id)
        jobs.refresh(session, job_id)
        rows = jobs.results(session, job_id)
        name = _results_name(job)
    out = io.StringIO()
    jobs.write_results(rows, out)
    disposition = f"attachment; filename=\"{_ascii(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
    )


def _results_name(job: BulkJob) -> str:
    """``clients.csv`` gives ``clients.results.csv``, as the command line names it."""
    dot = job.file_name.rfind(".")
    stem = (job.file_name[:dot] if dot > 0 else job.file_name).strip()
    return f"{stem or f'bulk-job-{job.id}'}.results.csv"


def _ascii(name: str) -> str:
    """A file name for browsers that ignore ``filename*``: ASCII letters, digits, ``.``, ``_`` and ``-``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)
