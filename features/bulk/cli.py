"""``commissioner bulk ...``: commission or decommission the clients of a CSV file, resumably."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from cli.context import fail, operator, session
from features.bulk import jobs
from features.bulk.jobs import Progress, ResultRow
from models import BulkKind

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes: 0 every row done; 1 an error (a bad file: nothing applied); 3 the job ended with rows not
# done (invalid, skipped, failed, or still waiting for the carrier); 130 interrupted.
EXIT_ROWS_NOT_DONE = 3
EXIT_INTERRUPTED = 130

_FILE_HELP = """
The file is CSV (UTF-8; comma or semicolon separated) with a header row; column names are
case-insensitive:

\b
{columns}

Every row is checked first and all errors are listed with their row numbers (the header is row 1);
if any row is bad, nothing is applied unless --skip-bad-rows is given. Each row is then {verb}
through the normal pipeline, one at a time. Running the same file again resumes it: rows already
applied are not applied again. The result file (row, client_code, iccid, status, message) is written
at the end; `commissioner bulk results FILE` writes it again later with the outcomes so far.

Exit status: 0 every row done, 1 error (nothing applied), 3 some rows invalid, skipped, failed or
still waiting, 130 interrupted (run it again to resume).
"""


def _file_help(kind: BulkKind, summary: str) -> str:
    columns = "\n".join(f"  {name:<18} {meaning}" for name, meaning in jobs.COLUMNS.items())
    verb = "commissioned" if kind == BulkKind.COMMISSION else "decommissioned"
    return summary + "\n" + _FILE_HELP.format(columns=columns, verb=verb)


@click.group("bulk")
def bulk_group() -> None:
    """Commission or decommission many clients from a CSV file."""


def _run_options(func: F) -> F:
    options = [
        click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option(
            "--skip-bad-rows", is_flag=True, help="Apply the good rows of a file that has bad ones."
        ),
        click.option(
            "--results",
            "results_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="The per-row result file (default: next to FILE, as NAME.results.csv).",
        ),
        click.option(
            "--resume/--no-resume",
            default=True,
            show_default=True,
            help="Resume the job this same file started; --no-resume applies every row again.",
        ),
        click.option(
            "--wait/--no-wait",
            default=False,
            show_default=True,
            help="Wait for the carrier's outcome of every row.",
        ),
        click.option(
            "--wait-timeout",
            type=click.FloatRange(min=0),
            default=900.0,
            show_default=True,
            help="With --wait: stop waiting after this many seconds in which no row finished.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@bulk_group.command(
    "commission", help=_file_help(BulkKind.COMMISSION, "Commission the clients of a CSV file (65516).")
)
@_run_options
def commission(file: Path, **options: Any) -> None:
    _run(BulkKind.COMMISSION, file, **options)


@bulk_group.command(
    "decommission", help=_file_help(BulkKind.DECOMMISSION, "Decommission the clients of a CSV file (65517).")
)
@_run_options
def decommission(file: Path, **options: Any) -> None:
    _run(BulkKind.DECOMMISSION, file, **options)


@bulk_group.command("results")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--job", "job_id", type=click.IntRange(min=1), help="The job's number, instead of its file.")
@click.option(
    "--results",
    "results_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write (default: next to FILE as NAME.results.csv, or bulk-job-N.results.csv).",
)
def results(file: Path | None, job_id: int | None, results_path: Path | None) -> None:
    """Write the result file of a bulk job again, with the carrier's outcomes so far."""
    if (file is None) == (job_id is None):
        raise click.UsageError("give either FILE or --job")
    with session() as s:
        job = jobs.job_for_file(s, _read(file)) if file is not None else jobs.get_job(s, job_id or 0)
        jobs.refresh(s, job.id)
        now = jobs.progress(s, job.id)
        rows = jobs.results(s, job.id)
    out = results_path or (_default_results(file) if file else Path(f"bulk-job-{now.job_id}.results.csv"))
    _write(out, rows)
    click.echo(f"bulk job {now.job_id} ({now.kind.value} {now.file_name}): {now.summary()}")
    click.echo(f"results written to {out}")


def _run(
    kind: BulkKind,
    file: Path,
    *,
    skip_bad_rows: bool,
    results_path: Path | None,
    resume: bool,
    wait: bool,
    wait_timeout: float,
) -> None:
    out = results_path or _default_results(file)
    if out.resolve() == file.resolve():
        raise click.UsageError("the result file must not be the input file")
    data = _read(file)
    try:
        with session() as s:
            opened = jobs.open_job(
                s, kind, file.name, data, operator(), skip_bad_rows=skip_bad_rows, resume=resume
            )
            job_id = opened.job.id
            start = jobs.progress(s, job_id)
    except jobs.BadFile as exc:
        fail(_refuse(exc, out))
        return
    click.echo(_intro(opened, start))
    try:
        _apply(job_id, start)
        if wait:
            _wait(job_id, wait_timeout)
    except KeyboardInterrupt:
        _finish(job_id, out)
        fail(
            "interrupted: run the same command again to resume (no row is applied twice)",
            EXIT_INTERRUPTED,
        )
    final = _finish(job_id, out)
    if final.not_done or (wait and final.waiting):
        sys.exit(EXIT_ROWS_NOT_DONE)


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise click.FileError(str(file), exc.strerror) from None


def _default_results(file: Path) -> Path:
    return file.with_name(f"{file.stem if file.suffix else file.name}.results.csv")


def _refuse(exc: jobs.BadFile, out: Path) -> str:
    """List every bad row (one line each) and write the result file; returns the closing error."""
    checked = exc.validation
    for row in checked.bad:
        click.echo(f"row {row.number}: {row.message}", err=True)
    _write(out, checked.result_rows())
    good = len(checked.good)
    rows = "the good row" if good == 1 else f"the {good} good rows"
    hint = f"fix them, or run again with --skip-bad-rows to apply {rows}" if good else "fix them"
    return f"{exc}: {hint} (results in {out})"


def _intro(opened: jobs.Opened, start: Progress) -> str:
    job = opened.job
    if opened.resumed:
        started = job.created_at.strftime("%Y-%m-%d %H:%M")
        return f"resuming bulk job {job.id} (started {started} by {job.operator}): {start.summary()}"
    skipped = f", {job.invalid_count} bad rows skipped" if job.invalid_count else ""
    return f"bulk job {job.id}: {job.kind.value} {job.row_count} rows of {job.file_name}{skipped}"


def _apply(job_id: int, start: Progress) -> None:
    if not start.queued:
        return
    verb = "commissioning" if start.kind == BulkKind.COMMISSION else "decommissioning"
    with click.progressbar(length=start.queued, label=verb, show_pos=True) as bar:
        jobs.apply_rows(job_id, operator(), on_row=lambda _number, _status: bar.update(1))


def _wait(job_id: int, timeout_s: float) -> None:
    with session() as s:
        jobs.refresh(s, job_id)
        waiting = jobs.progress(s, job_id).waiting
    if not waiting:
        return
    with click.progressbar(length=waiting, label="waiting for the carrier", show_pos=True) as bar:
        done = 0

        def show(now: Progress) -> None:
            nonlocal done
            bar.update(waiting - now.waiting - done)
            done = waiting - now.waiting

        final = jobs.wait_for_outcomes(job_id, idle_timeout_s=timeout_s, on_progress=show)
    if final.waiting:
        click.echo(
            f"{final.waiting} rows still wait for the carrier after {timeout_s:g} s without progress; "
            "`commissioner bulk results FILE` updates the result file later",
            err=True,
        )


def _finish(job_id: int, out: Path) -> Progress:
    with session() as s:
        jobs.refresh(s, job_id)
        final = jobs.progress(s, job_id)
        rows = jobs.results(s, job_id)
    _write(out, rows)
    click.echo(f"bulk job {job_id}: {final.summary()}")
    click.echo(f"results written to {out}")
    return final


def _write(out: Path, rows: Iterable[ResultRow]) -> None:
    """Write the result file whole or not at all (a half-written file would mislead)."""
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            jobs.write_results(rows, stream)
        os.replace(partial, out)
    except OSError as exc:
        fail(f"cannot write the result file {out}: {exc.strerror}")


commands = [bulk_group]
