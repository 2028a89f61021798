"""The benchmark's outputs: every figure printed, ``results.json``, the chart ``results.png``, the
profile summary ``profile.txt`` and a Markdown summary ``results.md`` for the README."""

from __future__ import annotations

import importlib.metadata
import json
import math
import platform
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import probes
from bench.run import Plan

_PACKAGES = ("celery", "kombu", "sqlalchemy", "psycopg", "redis", "httpx", "prometheus-client")


def environment() -> dict[str, Any]:
    """The machine and the software the figures came from."""
    versions = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"machine": probes.machine(), "versions": versions, "commit": _commit()}


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],  # noqa: S607 - as a developer runs it
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def parameters(plan: Plan) -> dict[str, Any]:
    return {
        "configurations": plan.configurations,
        "scenarios": plan.scenarios,
        "n": plan.n,
        "repeat": plan.repeat,
        "rate_per_s": plan.rate,
        "slow_n": plan.slow_n,
        "slow_latency_ms": plan.slow_latency_ms,
        "pools": [pool.label for pool in plan.pools_to_try()],
        "bulk_n": plan.bulk_n,
        "bulk_limit_per_s": plan.bulk_limit,
        "overrides": plan.overrides,
        "quick": plan.quick,
    }


def write(
    plan: Plan, results: dict[str, Any], started: datetime, say: Callable[[str], None] = print
) -> dict[str, Path]:
    """Print every figure and write the files; returns their paths."""
    out = plan.output_dir
    out.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **environment(),
        "parameters": parameters(plan),
        "configurations": results["configurations"],
        "profiles": {
            name: {k: v for k, v in profile.items() if not k.endswith("_text")}
            for name, profile in results["profiles"].items()
        },
    }
    paths = {"json": out / "results.json", "png": out / "results.png", "md": out / "results.md"}
    paths["json"].write_text(json.dumps(_clean(document), indent=2, sort_keys=False) + "\n")
    chart(results["series"], paths["png"], document)
    paths["md"].write_text(markdown(document))
    if results["profiles"]:
        paths["profile"] = out / "profile.txt"
        texts = [
            profile[key]
            for profile in results["profiles"].values()
            for key in sorted(profile)
            if key.endswith("_text")
        ]
        paths["profile"].write_text("\n\n".join(texts) + "\n")
    say("== figures")
    for name, value in flatten(document):
        say(f"{name} = {_shown(value)}")
    for path in paths.values():
        say(f"wrote {path}")
    return paths


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of the results as (dotted.name, value), but not the per-repetition lists."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("runs", "profiles"):
                continue
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif (
        isinstance(value, list) and not any(isinstance(item, dict | list) for item in value)
    ) or not isinstance(value, list):
        yield prefix, value


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def _clean(value: Any) -> Any:
    """JSON has no NaN: None instead; floats rounded to what the measurement can tell."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


# -- the chart ---------------------------------------------------------------------------------------


def chart(series: dict[str, Any], path: Path, document: dict[str, Any]) -> None:
    """Latency distributions and throughput over time, one row per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(series) or ["(nothing measured)"]
    fig, axes = plt.subplots(len(names), 3, figsize=(18, 4.8 * len(names)), squeeze=False)
    for row, name in enumerate(names):
        data = series.get(name, {})
        _latency_panel(axes[row][0], name, data)
        _throughput_panel(axes[row][1], name, data)
        _bulk_panel(axes[row][2], name, data)
    machine = document["machine"]
    fig.suptitle(
        f"Commissioner benchmark {document['generated_at']} on {machine['cores']} cores, "
        f"{machine['ram_gb']} GB, {machine['cpu_model']}; Python {document['versions']['python']}",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _latency_panel(ax: Any, name: str, data: dict[str, Any]) -> None:
    for label in ("floor rate", "pipeline rate", "pipeline burst"):
        latencies = sorted(data.get(label, {}).get("latencies_ms", []))
        if latencies:
            share = [(i + 1) / len(latencies) for i in range(len(latencies))]
            ax.plot(latencies, share, label=f"{label} (n={len(latencies)})")
    ax.set_xscale("log")
    ax.set_xlabel("press (or publish) to outcome, ms (log scale)")
    ax.set_ylabel("share of events done")
    ax.set_title(f"{name}: latency distribution (CDF)")
    ax.axvline(50, color="grey", linestyle=":", label="50 ms")
    _legend(ax)
    ax.grid(True, alpha=0.3)


def _throughput_panel(ax: Any, name: str, data: dict[str, Any]) -> None:
    for label, values in data.items():
        if label.startswith(("floor burst", "pipeline burst", "slow")) and values.get("throughput"):
            xs, ys = zip(*values["throughput"], strict=True)
            ax.step(xs, ys, where="post", label=label)
    ax.set_xlabel("seconds since the first offer")
    ax.set_ylabel("events done per second")
    ax.set_title(f"{name}: throughput over time (bursts)")
    _legend(ax)
    ax.grid(True, alpha=0.3)


def _bulk_panel(ax: Any, name: str, data: dict[str, Any]) -> None:
    bulk = data.get("bulk", {})
    if bulk.get("calls_per_s"):
        xs, answered, refused = zip(*bulk["calls_per_s"], strict=True)
        ax.step(xs, answered, where="post", label="carrier calls answered / s")
        ax.step(xs, refused, where="post", label="rate-limit answers (40000029) / s", color="red")
    if bulk.get("throughput"):
        xs, ys = zip(*bulk["throughput"], strict=True)
        ax.step(xs, ys, where="post", label="commissions done / s")
    ax.set_xlabel("seconds")
    ax.set_title(f"{name}: bulk under the carrier's limit")
    _legend(ax)
    ax.grid(True, alpha=0.3)


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)


# -- Markdown ----------------------------------------------------------------------------------------


def markdown(document: dict[str, Any]) -> str:
    """A summary table per configuration, for the README."""
    machine, versions = document["machine"], document["versions"]
    lines = [
        f"Benchmark of {document['generated_at']} (`python -m bench`, commit {document['commit']}): "
        f"{machine['cores']} cores, {machine['ram_gb']} GB RAM, {machine['cpu_model']}, {machine['kernel']}; "
        f"Python {versions['python']}, Celery {versions['celery']}, SQLAlchemy {versions['sqlalchemy']}; "
        f"load average at the end {machine['load_average']}. Medians of {document['parameters']['repeat']} "
        "repetitions.",
        "",
    ]
    for name, figures in document["configurations"].items():
        lines += [f"### {name}", "", "| figure | value | target |", "|---|---|---|"]
        lines += [f"| {label} | {value} | {target} |" for label, value, target in _rows(figures)]
        lines.append("")
    return "\n".join(lines)


def _rows(figures: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    def get(*keys: str) -> Any:
        value: Any = figures
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def num(value: Any, unit: str = "", digits: int = 1) -> str:
        return (
            "n/a"
            if value is None or (isinstance(value, float) and math.isnan(value))
            else f"{value:.{digits}f}{unit}"
        )

    targets = figures.get("targets", {})

    def target(key: str) -> str:
        found = targets.get(key) or {}
        met = found.get("met")
        return "" if met is None else ("met" if met else "**missed**")

    yield "floor (no-op task), events/s", num(get("floor", "burst", "events_per_s")), ""
    yield "pipeline, events/s (burst)", num(get("pipeline", "burst", "events_per_s")), ""
    yield (
        "pipeline / floor",
        num(get("pipeline", "vs_floor"), "x", 2),
        f"≥ 0.5x {target('pipeline_vs_floor')}",
    )
    for mode, title in (("burst", "burst"), ("rate", "at 50/s")):
        p = [num(get("pipeline", mode, f"latency_p{q}_ms")) for q in (50, 95, 99)]
        extra = f"p99 < 50 ms {target('p99_ms_at_rate')}" if mode == "rate" else ""
        yield f"press to outcome p50/p95/p99 ms, {title}", " / ".join(p), extra
    yield (
        "floor p50/p95/p99 ms at 50/s",
        " / ".join(num(get("floor", "rate", f"latency_p{q}_ms")) for q in (50, 95, 99)),
        "",
    )
    slow = get("slow_carrier") or {}
    for label, pool in (slow.get("pools") or {}).items():
        yield (
            f"200 ms carrier, {label}, events/s (0 ms: {num(pool['zero_latency']['events_per_s'])})",
            num(pool["slow"]["events_per_s"]),
            "",
        )
    yield (
        "200 ms carrier, best pool / 0 ms default pool",
        (f"{num(slow.get('best_vs_zero_default_pool'), 'x', 2)} ({slow.get('best_pool', 'n/a')})"),
        f"≥ 0.8x {target('slow_vs_zero_latency')}",
    )
    yield (
        "bulk: total s / ideal s",
        f"{num(get('bulk', 'total_s'))} / {num(get('bulk', 'ideal_s'))}",
        (f"≤ 1.05x {target('bulk_vs_ideal')}"),
    )
    yield "bulk: carrier calls per commission", num(get("bulk", "calls_per_commission"), "", 2), ""
    yield (
        "bulk: rate-limit answers (40000029)",
        num(get("bulk", "rate_limit_answers"), "", 0),
        (f"0 {target('bulk_rate_limit_answers')}"),
    )
    yield (
        "worker peak RSS (sum of processes) / PSS, MB",
        (
            f"{num(get('pipeline', 'burst', 'worker_peak_rss_mb'), '', 0)} / "
            f"{num(get('pipeline', 'burst', 'worker_peak_pss_mb'), '', 0)}"
        ),
        f"< 150 MB {target('worker_peak_rss_mb')}",
    )
    yield (
        "worker CPU ms per event (pipeline / floor)",
        (
            f"{num(_ms(get('pipeline', 'burst', 'worker_cpu_s_per_event')), '', 2)} / "
            f"{num(_ms(get('floor', 'burst', 'worker_cpu_s_per_event')), '', 2)}"
        ),
        "",
    )


def _ms(seconds: Any) -> Any:
    return seconds * 1000 if isinstance(seconds, int | float) else seconds


def main_guard() -> None:
    if sys.platform != "linux":
        raise SystemExit("the benchmark reads /proc: it runs on Linux only")
