"""The benchmark, end to end in its quick form on one configuration: it produces every figure.

Only that the figures exist is checked, not their values: those depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

# Needs nothing but Python; production also needs the PostgreSQL server and redis-server programs.
CONFIGURATION = "embedded"
RUN_FIGURES = (
    "events",
    "completed",
    "duration_s",
    "events_per_s",
    "offered_per_s",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "worker_cpu_s_per_event",
    "worker_peak_rss_mb",
    "worker_peak_pss_mb",
    "harness_cpu_s_per_event",
    "simulator_cpu_s_per_event",
)
TARGETS = (
    "pipeline_vs_floor",
    "p99_ms_at_rate",
    "slow_vs_zero_latency",
    "bulk_vs_ideal",
    "bulk_rate_limit_answers",
    "worker_peak_rss_mb",
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, str]:
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMISSIONER_")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--config", CONFIGURATION, "--output-dir", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((out / "results.json").read_text()), out, done.stdout


def _present(value: Any) -> bool:
    return value is not None and value != ""


def test_floor_and_pipeline_figures_in_burst_and_at_a_rate(results: tuple[dict[str, Any], Path, str]) -> None:
    figures = results[0]["configurations"][CONFIGURATION]
    for kind in ("floor", "pipeline"):
        for mode in ("burst", "rate"):
            measured = figures[kind][mode]
            missing = [name for name in RUN_FIGURES if not _present(measured.get(name))]
            assert not missing, f"{kind} {mode}: {missing}"
            assert measured["completed"] == measured["events"]
            assert measured["problems"] == 0
    assert _present(figures["pipeline"]["vs_floor"])
    assert _present(figures["pipeline"]["burst"]["phase_queued_p50_ms"])


def test_slow_carrier_bulk_and_targets(results: tuple[dict[str, Any], Path, str]) -> None:
    figures = results[0]["configurations"][CONFIGURATION]
    slow = figures["slow_carrier"]
    assert len(slow["pools"]) >= 2
    assert slow["best_pool"] in slow["pools"]
    for pool in slow["pools"].values():
        assert _present(pool["zero_latency"]["events_per_s"])
        assert _present(pool["slow"]["events_per_s"])
        assert _present(pool["slow_vs_zero_default_pool"])
    bulk = figures["bulk"]
    for name in ("total_s", "ideal_s", "vs_ideal", "calls", "calls_per_commission", "rate_limit_answers"):
        assert _present(bulk[name]), name
    assert bulk["completed"] == bulk["commissions"]
    for name in TARGETS:
        assert _present(figures["targets"][name]["value"]), name
        assert figures["targets"][name]["met"] in (True, False)


def test_operations_view_of_the_run(results: tuple[dict[str, Any], Path, str]) -> None:
    figures = results[0]["configurations"][CONFIGURATION]
    assert figures["operations"]["worker_health"] == "healthy"
    assert figures["operations"]["worker_log_json_lines"] > 0
    assert figures["metrics"]["executions_by_outcome"]["succeeded"] > 0
    assert figures["metrics"]["latency_observations"] > 0


def test_machine_chart_and_summary(results: tuple[dict[str, Any], Path, str]) -> None:
    document, out, stdout = results
    for name in ("cores", "ram_gb", "cpu_model", "kernel", "load_average"):
        assert _present(document["machine"][name]), name
    for name in ("python", "celery", "kombu", "sqlalchemy", "sqlite"):
        assert _present(document["versions"][name]), name
    assert (out / "results.png").read_bytes().startswith(b"\x89PNG")
    assert "pipeline / floor" in (out / "results.md").read_text()
    # Every figure is printed, too.
    assert f"configurations.{CONFIGURATION}.pipeline.rate.latency_p99_ms = " in stdout
    assert f"configurations.{CONFIGURATION}.bulk.rate_limit_answers = " in stdout


def test_profile_summary(results: tuple[dict[str, Any], Path, str]) -> None:
    document, out, _ = results
    profile = document["profiles"][CONFIGURATION]
    assert profile["problems"] == []
    # Threads (the default pool) run tasks in the worker's main process; prefork in its pool processes.
    worker = [role for role in profile if role.startswith("worker: ")]
    assert sum(profile[role]["samples"] for role in worker) > 0
    assert profile["harness: pipeline_run.<locals>.press"]["samples"] > 0
    assert "Commissioner's functions by inclusive time" in (out / "profile.txt").read_text()
