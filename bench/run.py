"""The benchmark of issue 6, in one run: for each configuration (production, embedded), the floor, the
pipeline, the slow carrier, bulk under a limit, worker memory and CPU, and a profile.

Repetitions interleave the floor and the pipeline (floor, pipeline, floor, pipeline...), so that a
machine that gets busier half-way through weighs on both alike; every figure is the median of the
repetitions, and every ratio is against the floor measured in the same run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import profiling, scenarios
from bench.deployment import Deployment, Pool, default_pool
from bench.scenarios import LIMITED_ACCOUNT, PIPELINE_ACCOUNT, Run, make_clients
from cli.processes import free_port
from worker import health

SCENARIOS = ("floor", "pipeline", "slow", "bulk")
MAX_CALLS_PER_SECOND = 1000.0  # the most a communicator type may be given: pacing never waits

# The targets, checked against the medians.
TARGET_PIPELINE_VS_FLOOR = 0.5
TARGET_P99_MS = 50.0
TARGET_SLOW_VS_ZERO = 0.8
TARGET_BULK_VS_IDEAL = 1.05
TARGET_RSS_MB = 150.0


@dataclass
class Plan:
    """What to run; ``quick`` is the under-two-minutes form."""

    configurations: list[str]
    scenarios: list[str]
    n: int = 500
    repeat: int = 3
    rate: float = 50.0
    slow_n: int = 200
    slow_latency_ms: float = 200.0
    pools: list[Pool] = field(default_factory=list)
    bulk_n: int = 2000
    bulk_limit: float = 20.0
    profile: bool = True
    # The pool of the production configuration (what docker-compose.yml runs): floor, pipeline, bulk,
    # and the reference of the slow carrier. Default: the settings' pool (COMMISSIONER_WORKER_POOL).
    worker_pool: Pool = field(default_factory=default_pool)
    output_dir: Path = Path("bench")
    overrides: dict[str, str] = field(default_factory=dict)
    quick: bool = False
    say: Callable[[str], None] = print

    def pools_to_try(self) -> list[Pool]:
        """The pools of the slow-carrier scenario, the default pool first (its figure is the base)."""
        pools = [self.worker_pool, *self.pools]
        return list(dict.fromkeys(pools))


def run(plan: Plan) -> dict[str, Any]:
    """Run the plan; returns the results (also written by ``bench.report``)."""
    results: dict[str, Any] = {"configurations": {}, "series": {}, "profiles": {}}
    plan.output_dir.mkdir(parents=True, exist_ok=True)
    for name in plan.configurations:
        plan.say(f"== configuration {name}")
        started = time.monotonic()
        with Deployment(name, plan.overrides, metrics_port=free_port()) as deployment:
            figures, series, profile = _configuration(plan, deployment)
        figures["wall_s"] = time.monotonic() - started
        results["configurations"][name] = figures
        results["series"][name] = series
        if profile:
            results["profiles"][name] = profile
    return results


def _configuration(
    plan: Plan, deployment: Deployment
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    deployment.add_account(PIPELINE_ACCOUNT, MAX_CALLS_PER_SECOND)
    deployment.add_account(LIMITED_ACCOUNT, plan.bulk_limit)
    base = plan.worker_pool
    _start(plan, deployment, base)
    figures: dict[str, Any] = {"versions": deployment.versions, "default_pool": base.label}
    series: dict[str, Any] = {}
    profile: dict[str, Any] = {}
    if "floor" in plan.scenarios or "pipeline" in plan.scenarios:
        figures |= _floor_and_pipeline(plan, deployment, series)
        if plan.profile and "pipeline" in plan.scenarios:
            profile = _profile(plan, deployment)
        figures["metrics"] = _scrape_metrics(deployment)
        figures["operations"] = _operations(deployment)
    if "bulk" in plan.scenarios:
        figures["bulk"] = _bulk(plan, deployment, series)
    if "slow" in plan.scenarios:
        figures["slow_carrier"] = _slow(plan, deployment, series)
    figures["targets"] = _targets(figures, plan)
    return figures, series, profile


def _start(plan: Plan, deployment: Deployment, pool: Pool) -> None:
    plan.say(f"   worker: {pool.kind} pool, {pool.concurrency} slots")
    deployment.start_worker(pool)
    scenarios.warm_up(deployment, pool.concurrency)


# -- floor and pipeline ------------------------------------------------------------------------------


def _floor_and_pipeline(plan: Plan, deployment: Deployment, series: dict[str, Any]) -> dict[str, Any]:
    runs: dict[str, list[Run]] = {}
    n, rate = plan.n, plan.rate
    for rep in range(1, plan.repeat + 1):
        if "floor" in plan.scenarios:
            _measure(plan, runs, f"floor burst #{rep}", partial(scenarios.floor_run, deployment, n))
            _measure(plan, runs, f"floor rate #{rep}", partial(scenarios.floor_run, deployment, n, rate))
        if "pipeline" in plan.scenarios:
            burst, paced = make_clients(n, PIPELINE_ACCOUNT), make_clients(n, PIPELINE_ACCOUNT)
            press = partial(scenarios.pipeline_run, deployment)
            _measure(plan, runs, f"pipeline burst #{rep}", partial(press, burst))
            _measure(plan, runs, f"pipeline rate #{rep}", partial(press, paced, rate))
    figures: dict[str, Any] = {}
    for key, measured in runs.items():
        kind, mode = key.split()
        figures.setdefault(kind, {})[mode] = _medians(measured)
        series[f"{kind} {mode}"] = {
            "latencies_ms": [x * 1000 for run in measured for x in run.latencies_s],
            "throughput": measured[0].completions_per_second(),
        }
    if "floor" in figures and "pipeline" in figures:
        floor_rate = figures["floor"]["burst"]["events_per_s"]
        figures["pipeline"]["vs_floor"] = figures["pipeline"]["burst"]["events_per_s"] / floor_rate
        figures["pipeline"]["p99_vs_floor_p99"] = (
            figures["pipeline"]["rate"]["latency_p99_ms"] / figures["floor"]["rate"]["latency_p99_ms"]
        )
    return figures


def _measure(plan: Plan, runs: dict[str, list[Run]], label: str, measure: Callable[[], Run]) -> Run:
    run = measure()
    runs.setdefault(label.split(" #")[0], []).append(run)
    figures = run.figures()
    plan.say(
        f"   {label:<20} {run.completed}/{run.n} in {figures['duration_s']:.2f} s: "
        f"{figures['events_per_s']:.1f}/s (offered {figures['offered_per_s']:.1f}/s), "
        f"p50 {figures['latency_p50_ms']:.1f} ms p95 {figures['latency_p95_ms']:.1f} ms "
        f"p99 {figures['latency_p99_ms']:.1f} ms, worker {figures['worker_cpu_s_per_event'] * 1000:.2f} ms "
        f"CPU/event, peak RSS {figures['worker_peak_rss_mb']:.0f} MB"
    )
    for problem in run.problems[:5]:
        plan.say(f"     problem: {problem}")
    return run


def _medians(runs: list[Run]) -> dict[str, Any]:
    """The median of each figure over the repetitions; the repetitions themselves under ``runs``."""
    each = [run.figures() for run in runs]
    medians: dict[str, Any] = {}
    for key in each[0]:
        values = [figures[key] for figures in each if not _nan(figures[key])]
        medians[key] = statistics.median(values) if values else math.nan
    medians["repetitions"] = len(runs)
    medians["runs"] = each
    return medians


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


# -- profile -----------------------------------------------------------------------------------------


def _profile(plan: Plan, deployment: Deployment) -> dict[str, Any]:
    """A separate pipeline burst under py-spy (the profiler's cost stays out of the timed runs)."""
    assert deployment.worker is not None
    count = plan.n if plan.quick else max(plan.n, 200)
    batch = make_clients(count, PIPELINE_ACCOUNT)
    folded = {
        "worker": plan.output_dir / f"profile-{deployment.name}-worker.folded",
        "harness": plan.output_dir / f"profile-{deployment.name}-presses.folded",
    }
    for path in folded.values():
        path.unlink(missing_ok=True)
    with (
        profiling.recording(deployment.worker.pid, folded["worker"], subprocesses=True) as worker_problems,
        profiling.recording(os.getpid(), folded["harness"], subprocesses=False) as harness_problems,
    ):
        run = scenarios.pipeline_run(deployment, batch)
    plan.say(f"   profiled pipeline burst: {run.completed}/{run.n} in {run.duration_s:.2f} s")
    profile: dict[str, Any] = {"events": run.n, "problems": worker_problems + harness_problems}
    if run.statements:
        profile["sql_statements_per_event"] = {
            role: [[round(calls / run.n, 2), query[:200]] for calls, query in found[:25]]
            for role, found in run.statements.items()
        }
        profile["sql_text"] = _statements_text(deployment.name, run)
    focus = {"worker": None, "harness": "pipeline_run.<locals>.press"}
    for name, path in folded.items():
        if not path.exists():
            continue
        profile[f"{name}_folded"] = str(path)
        for role, summary in profiling.summarise(path, focus=focus[name]).items():
            title = f"{deployment.name}, {'worker ' + role if name == 'worker' else 'presses (harness)'}"
            profile[f"{name}: {role}"] = summary.as_json()
            profile[f"{name}: {role}_text"] = summary.text(title)
    for problem in profile["problems"]:
        plan.say(f"     profile: {problem}")
    return profile


def _statements_text(name: str, run: Run) -> str:
    lines = [
        f"{name}: SQL statements per commission (pg_stat_statements; postgres = the press, worker = "
        "the worker's run of the execution and its outcome signal)"
    ]
    for role, found in sorted(run.statements.items()):
        total = sum(calls for calls, _ in found) / run.n
        lines.append(f"  {role}: {total:.1f} statements per commission; most called:")
        lines += [f"    {calls / run.n:5.2f}  {query[:150]}" for calls, query in found[:20]]
    return "\n".join(lines)


def _operations(deployment: Deployment) -> dict[str, Any]:
    """The worker's health check and its log lines, as an operator would see them."""
    heartbeat = health.check_worker(deployment.directory / "worker.heartbeat", health.DEFAULT_MAX_AGE_S)
    lines = deployment.worker_log().read_text(errors="replace").splitlines()
    entries = []
    for line in lines:
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and {"time", "level", "logger", "message"} <= entry.keys():
                entries.append(entry)
    runner = [e for e in entries if e["logger"] == "pipeline.runner"]
    return {
        "worker_health": heartbeat or "healthy",
        "worker_log_lines": len(lines),
        "worker_log_json_lines": len(entries),
        "runner_log_lines": len(runner),
        "runner_log_lines_with_context": sum(
            1 for e in runner if {"execution_id", "client_id", "iccid"} <= e.keys()
        ),
    }


def _scrape_metrics(deployment: Deployment) -> dict[str, Any]:
    """What the worker's Prometheus exporter says about the executions so far."""
    port = deployment.env.get("COMMISSIONER_METRICS_PORT", "0")
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    except httpx.HTTPError as exc:
        return {"error": str(exc)}
    counted: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("commissioner_executions_total{"):
            labels, _, value = line.rpartition(" ")
            outcome = labels.split('outcome="', 1)[1].split('"', 1)[0]
            counted[outcome] = counted.get(outcome, 0.0) + float(value)
    latency_count = sum(
        float(line.rpartition(" ")[2])
        for line in text.splitlines()
        if line.startswith("commissioner_execution_latency_seconds_count{")
    )
    return {"executions_by_outcome": counted, "latency_observations": latency_count}


# -- bulk under a limit ------------------------------------------------------------------------------


def _bulk(plan: Plan, deployment: Deployment, series: dict[str, Any]) -> dict[str, Any]:
    measured = []
    for rep in range(1, plan.repeat + 1):
        batch = make_clients(plan.bulk_n, LIMITED_ACCOUNT)
        _, first_call = deployment.calls_since(10**12)
        deployment.faults(rate_limit=plan.bulk_limit)
        try:
            run = scenarios.pipeline_run(deployment, batch)
        finally:
            deployment.faults(rate_limit=0)
        calls, _ = deployment.calls_since(first_call)
        figures = _bulk_figures(plan, run, calls)
        plan.say(
            f"   bulk #{rep}: {run.completed}/{run.n} in {figures['total_s']:.1f} s (ideal "
            f"{figures['ideal_s']:.1f} s, {figures['vs_ideal']:.2f}x; by calls made "
            f"{figures['ideal_by_calls_s']:.1f} s), {figures['calls']} calls ({figures['calls_change']} "
            f"changes, {figures['calls_read']} reads, {figures['calls_search']} searches), "
            f"{figures['rate_limit_answers']} rate-limit answers"
        )
        measured.append(figures)
        if rep == 1:
            series["bulk"] = {
                "throughput": run.completions_per_second(1.0),
                "calls_per_s": _calls_per_second(calls, run.start),
            }
    medians = {
        key: statistics.median(m[key] for m in measured)
        for key in measured[0]
        if isinstance(measured[0][key], int | float)
    }
    return {**medians, "repetitions": len(measured), "runs": measured}


def _bulk_figures(plan: Plan, run: Run, calls: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [call for call in calls if call.get("status") is not None and call.get("errorCode") is None]
    ideal = plan.bulk_n / plan.bulk_limit
    total = run.duration_s if run.completed else math.nan
    return {
        "commissions": run.n,
        "completed": run.completed,
        "total_s": total,
        "ideal_s": ideal,
        "vs_ideal": total / ideal,
        "calls": len(calls),
        "calls_per_commission": len(calls) / run.n,
        **{f"calls_{kind}": count for kind, count in _calls_by_kind(calls).items()},
        "ideal_by_calls_s": len(answered) / plan.bulk_limit,
        "rate_limit_answers": scenarios.rate_limit_answers(calls),
        "worker_cpu_s_per_event": run.figures()["worker_cpu_s_per_event"],
        "problems": len(run.problems),
    }


def _calls_by_kind(calls: list[dict[str, Any]]) -> dict[str, int]:
    """Changes (PUT), reads of one SIM (GET /devices/{iccid}), searches (GET /devices) and the rest."""
    counts = dict.fromkeys(("change", "read", "search", "other"), 0)
    for call in calls:
        path = call["path"].rstrip("/")
        if call["method"] == "PUT":
            counts["change"] += 1
        elif call["method"] == "GET" and path.endswith("/devices"):
            counts["search"] += 1
        elif call["method"] == "GET" and call.get("iccid"):
            counts["read"] += 1
        else:
            counts["other"] += 1
    return counts


def _calls_per_second(calls: list[dict[str, Any]], start: float) -> list[tuple[float, float, float]]:
    """(seconds since ``start``, calls answered per second, rate-limit answers per second), in
    one-second buckets."""
    if not calls:
        return []
    times = [datetime.fromisoformat(call["wall"]).timestamp() for call in calls]
    start = min(start, *times)
    size = int(max(times) - start) + 1
    answered, refused = [0] * size, [0] * size
    for when, call in zip(times, calls, strict=True):
        bucket = int(when - start)
        if call.get("errorCode") == scenarios.RATE_LIMIT_CODE:
            refused[bucket] += 1
        else:
            answered[bucket] += 1
    return [(float(i), float(answered[i]), float(refused[i])) for i in range(size)]


# -- the slow carrier --------------------------------------------------------------------------------


def _slow(plan: Plan, deployment: Deployment, series: dict[str, Any]) -> dict[str, Any]:
    by_pool: dict[str, Any] = {}
    for pool in plan.pools_to_try():
        if deployment.pool != pool:
            _start(plan, deployment, pool)
        runs: dict[str, list[Run]] = {}
        zero, slow = f"{pool.label} 0 ms", f"{pool.label} {plan.slow_latency_ms:.0f} ms"
        for rep in range(1, plan.repeat + 1):
            fast_batch = make_clients(plan.slow_n, PIPELINE_ACCOUNT)
            slow_batch = make_clients(plan.slow_n, PIPELINE_ACCOUNT)
            press = partial(scenarios.pipeline_run, deployment)
            _measure(plan, runs, f"{zero} #{rep}", partial(press, fast_batch))
            deployment.faults(latency_ms=plan.slow_latency_ms)
            try:
                _measure(plan, runs, f"{slow} #{rep}", partial(press, slow_batch))
            finally:
                deployment.faults(latency_ms=0)
        zero_figures, slow_figures = _medians(runs[zero]), _medians(runs[slow])
        by_pool[pool.label] = {
            "zero_latency": zero_figures,
            "slow": slow_figures,
            "slow_vs_zero_same_pool": slow_figures["events_per_s"] / zero_figures["events_per_s"],
        }
        series[f"slow {pool.label}"] = {"throughput": runs[slow][0].completions_per_second()}
    base = by_pool[plan.worker_pool.label]["zero_latency"]["events_per_s"]
    for figures in by_pool.values():
        figures["slow_vs_zero_default_pool"] = figures["slow"]["events_per_s"] / base
    best = max(by_pool, key=lambda label: by_pool[label]["slow"]["events_per_s"])
    return {
        "latency_ms": plan.slow_latency_ms,
        "events": plan.slow_n,
        "pools": by_pool,
        "best_pool": best,
        "best_vs_zero_default_pool": by_pool[best]["slow_vs_zero_default_pool"],
    }


# -- targets -----------------------------------------------------------------------------------------


def _targets(figures: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """The issue's targets against this configuration's medians (None: not measured)."""

    def check(value: float | None, target: float, higher_is_better: bool) -> dict[str, Any]:
        if value is None or _nan(value):
            return {"value": None, "target": target, "met": None}
        met = value >= target if higher_is_better else value <= target
        return {"value": value, "target": target, "met": met}

    pipeline = figures.get("pipeline", {})
    slow = figures.get("slow_carrier", {})
    bulk = figures.get("bulk", {})
    rss = pipeline.get("burst", {}).get("worker_peak_rss_mb")
    return {
        "pipeline_vs_floor": check(pipeline.get("vs_floor"), TARGET_PIPELINE_VS_FLOOR, True),
        "p99_ms_at_rate": check(pipeline.get("rate", {}).get("latency_p99_ms"), TARGET_P99_MS, False),
        "slow_vs_zero_latency": check(slow.get("best_vs_zero_default_pool"), TARGET_SLOW_VS_ZERO, True),
        "bulk_vs_ideal": check(bulk.get("vs_ideal"), TARGET_BULK_VS_IDEAL, False),
        "bulk_rate_limit_answers": check(bulk.get("rate_limit_answers"), 0, False),
        "worker_peak_rss_mb": check(rss, TARGET_RSS_MB, False),
    }
