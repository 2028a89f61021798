"""What every command shares: the operator's name, one unit of work, and how errors are shown."""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from carriers.errors import CarrierError
from centre import validation
from centre.clients import ClientRef
from centre.errors import UserError
from features.sim_console.service import CarrierProblem
from models.db import unit_of_work

log = logging.getLogger("commissioner.cli")

F = TypeVar("F", bound=Callable[..., Any])


def default_operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def operator() -> str:
    """The operator name given to the top-level command (--operator)."""
    ctx = click.get_current_context()
    given = ctx.find_root().params.get("operator")
    return validation.required_text(given, "operator name", 100) if given else default_operator()


@contextmanager
def session() -> Iterator[Session]:
    with unit_of_work() as s:
        yield s


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class CommissionerGroup(click.Group):
    """The root group: errors become one line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as exc:
            fail(str(exc))
        except CarrierError as exc:  # the carrier's answer, explained; never carries a secret
            fail(exc.message)
        except CarrierProblem as exc:  # the same, from the SIM console's live reads
            fail(exc.message)
        except TimeoutError as exc:
            fail(str(exc))
        except DBAPIError as exc:
            log.debug("database error", exc_info=True)
            text = str(exc.orig) if exc.orig is not None else str(exc)
            if "no such table" in text or "does not exist" in text:
                fail("the database has no schema yet: run `commissioner db upgrade` first")
            fail(f"database error: {type(exc.orig).__name__}: {text.splitlines()[0]}")
        except UnicodeError:
            # An argument the terminal could not decode (Python keeps its bytes as lone surrogates).
            log.debug("undecodable text", exc_info=True)
            fail("an argument is not valid text in this terminal's encoding (UTF-8 expected)")
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug: the user gets one line; at DEBUG the log has the traceback
            log.debug("unexpected error", exc_info=True)
            fail(f"internal error ({type(exc).__name__}); COMMISSIONER_LOG_LEVEL=DEBUG logs the details")
        return None


# The largest number an id or a number the database stores can be (BIGINT).
MAX_BIG_ID = 2**63 - 1
Id = click.IntRange(1, MAX_BIG_ID)


def client_ref_options(func: F) -> F:
    """--area and --port, to pick one account of a client code that has several."""
    func = click.option("--port", default=None, help="Port ID, when the code has several.")(func)
    area = click.IntRange(0, 2_147_483_647)
    return click.option("--area", type=area, default=None, help="Area, when the code has several.")(func)


def client_ref(code: str, area: int | None, port: str | None) -> ClientRef:
    return ClientRef(code=code, area=area, port=port)
