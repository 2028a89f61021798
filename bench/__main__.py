"""``python -m bench`` (``make bench``): see bench/run.py and bench/README.md."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bench.deployment import Pool, default_pool
from bench.report import main_guard, write
from bench.run import SCENARIOS, Plan, run
from config.logs import configure_logging

QUICK: dict[str, Any] = {"n": 30, "repeat": 1, "slow_n": 30, "bulk_n": 40, "pools": ["threads:32"]}
FULL: dict[str, Any] = {
    "n": 500,
    "repeat": 3,
    "slow_n": 200,
    "bulk_n": 2000,
    "pools": ["prefork:8", "threads:16", "threads:128"],
}


def plan_from_options(options: dict[str, Any]) -> Plan:
    """The plan the command-line options ask for (``--quick`` changes the defaults, not given values)."""
    defaults = QUICK if options["quick"] else FULL
    settings = {}
    for item in options["settings"]:
        name, sep, value = str(item).partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--set")
        settings[name.upper().removeprefix("COMMISSIONER_")] = value
    try:
        pools = [Pool.parse(text) for text in (options["pools"] or defaults["pools"])]
        worker_pool = Pool.parse(options["worker_pool"]) if options["worker_pool"] else default_pool()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--pool or --worker-pool") from None
    return Plan(
        configurations=list(options["configurations"] or ("production", "embedded")),
        scenarios=list(options["scenarios"] or SCENARIOS),
        n=options["n"] or defaults["n"],
        repeat=options["repeat"] or defaults["repeat"],
        rate=options["rate"],
        slow_n=options["slow_n"] or defaults["slow_n"],
        slow_latency_ms=options["slow_latency_ms"],
        pools=pools,
        worker_pool=worker_pool,
        bulk_n=options["bulk_n"] or defaults["bulk_n"],
        bulk_limit=options["bulk_limit"],
        profile=options["profile"],
        output_dir=Path(options["output_dir"]),
        overrides=settings,
        quick=options["quick"],
        say=lambda line: click.echo(line),
    )


def run_from_options(options: dict[str, Any]) -> None:
    main_guard()
    configure_logging("WARNING", "text")
    plan = plan_from_options(options)
    started_at = datetime.now(UTC)
    started = time.monotonic()
    results = run(plan)
    write(plan, results, started_at, say=plan.say)
    plan.say(f"benchmark took {time.monotonic() - started:.0f} s")


def main() -> None:
    from bench.cli import bench

    bench(prog_name="python -m bench")


if __name__ == "__main__":
    main()
