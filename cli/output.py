"""How commands print: text for people (control characters shown, never acted on), or ``--json``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from centre import validation

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    """``--json``: print the command's answer as JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def emit(as_json: bool, data: Any, lines: Iterable[str]) -> None:
    """Print ``data`` as JSON, or ``lines`` as text."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    for line in lines:
        click.echo(validation.printable(line))


def table(rows: list[dict[str, Any]], columns: list[str]) -> list[str]:
    """Rows as aligned text columns, with a header."""
    cells = [[str(row.get(c, "") if row.get(c) is not None else "-") for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return lines
