"""``python -m bench`` (``make bench``): the options of the benchmark of the pipeline against the floor."""

from __future__ import annotations

import click

CONFIGURATIONS = ("production", "embedded")
SCENARIOS = ("floor", "pipeline", "slow", "bulk")


@click.command("bench")
@click.option("--quick", is_flag=True, help="A small form that finishes in under two minutes.")
@click.option("-n", "--events", "n", type=click.IntRange(min=1), help="Events per floor/pipeline run [500].")
@click.option("--repeat", type=click.IntRange(min=1), help="Repetitions; figures are their medians [3].")
@click.option(
    "--config",
    "configurations",
    multiple=True,
    type=click.Choice(CONFIGURATIONS),
    help="Configurations to measure (repeatable) [both].",
)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    type=click.Choice(SCENARIOS),
    help="Scenarios (repeatable) [all].",
)
@click.option(
    "--rate", type=click.FloatRange(min=1), default=50.0, show_default=True, help="Offered presses/s."
)
@click.option("--slow-n", type=click.IntRange(min=1), help="Commissions per slow-carrier run [200].")
@click.option("--slow-latency-ms", type=click.FloatRange(min=0), default=200.0, show_default=True)
@click.option(
    "--pool",
    "pools",
    multiple=True,
    help="Extra worker pools for the slow carrier, e.g. threads:32 or prefork:8 (repeatable) "
    "[prefork:8, threads:16, threads:128]; the default pool is always measured.",
)
@click.option(
    "--worker-pool",
    help="The worker's pool as docker-compose.yml runs it, e.g. prefork:2 or threads:16 "
    "[COMMISSIONER_WORKER_POOL and _CONCURRENCY: threads:64].",
)
@click.option("--bulk-n", type=click.IntRange(min=1), help="Commissions of the bulk run [2000].")
@click.option("--bulk-limit", type=click.FloatRange(min=1), default=20.0, show_default=True, help="Calls/s.")
@click.option(
    "--profile/--no-profile", default=True, show_default=True, help="Profile the pipeline with py-spy."
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default="bench",
    show_default=True,
    help="Where results.json, results.png, results.md and profile.txt go.",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    help="A COMMISSIONER_* setting of the deployment, e.g. TASK_EVENTS=false (repeatable).",
)
def bench(**options: object) -> None:
    """Measure the pipeline against the Celery floor on the production and embedded configurations."""
    from bench.__main__ import run_from_options

    run_from_options(options)
