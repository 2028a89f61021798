"""The fault-injection suite: real processes, real faults, one line of figures per scenario.

    python -m bench.faults            # the full form (minutes); writes bench/faults-results.json
    python -m bench.faults --short    # the short form CI runs (tests/faults)
    python -m bench.faults --only 1,2b
    python -m bench.faults --short --only 4 --platform emnify

Each scenario starts its own PostgreSQL, Redis, carrier simulator, Celery worker and beat
(`bench/fault_stack.py`), makes presses through the services, injects its fault by PID or through the
simulator's admin API, waits for the system to drain, and scores the result (`bench/fault_harness.py`):
presses made, executions lost, duplicate outcome signals, SIMs in the wrong final state, SIMs whose
last execution failed, carrier changes ("puts"), plus the scenario's own figure. Lost, duplicates, wrong
and failed must all be 0. Waiting is polling with deadlines; sleeps only space the faults.

The carrier scenarios run as variants named by the platform (4-jasper-soap ...; plain 4 is Control
Center REST; `bench/fault_platforms.py`) on every carrier platform (Control Center REST and SOAP, emnify,
Super SIM): 4 (500s, timeouts, outage), 6 (the carrier's rate limit, paced at the platform's highest
pace), 7 (every documented error code, each platform's own catalogue), 8 (answers never sent) and 10
(answers cut). The others are about our own processes, and run on REST. ``--platform`` picks the
variants of one platform.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

from sqlalchemy import select

from bench import fault_stack as stack
from bench.fault_harness import Figures, Harness
from bench.fault_platforms import EMNIFY, JASPER_REST, JASPER_SOAP, PLATFORMS, SUPERSIM, FaultPlatform
from carriers.control_center_rest import codes
from carriers.control_center_soap import codes as soap_codes
from carriers.emnify import codes as emnify_codes
from carriers.supersim import codes as supersim_codes
from models import ExecutionStatus, Signal, TaskExecution
from models.db import unit_of_work

RESULTS = Path(__file__).with_name("faults-results.json")
CONCURRENCY = 2


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    run: Callable[[bool, FaultPlatform], Figures]
    check: Callable[[Figures], list[str]]
    platforms: tuple[str, ...] = (JASPER_REST.kind,)  # the carrier platforms it runs on


def _on_rest(scenario: Callable[[bool], Figures]) -> Callable[[bool, FaultPlatform], Figures]:
    """A scenario about our own processes: the carrier platform plays no part (REST is the one used)."""

    def run(short: bool, _platform: FaultPlatform) -> Figures:
        return scenario(short)

    return run


def variant_key(scenario: Scenario, platform: FaultPlatform) -> str:
    """The name of a scenario run on ``platform``: its key on Control Center REST, else key-kind."""
    return scenario.key if platform is JASPER_REST else f"{scenario.key}-{platform.kind}"


def _pick(short: bool, short_value: int, full_value: int) -> int:
    return short_value if short else full_value


def _after(delay_s: float, action: Callable[[], None]) -> threading.Thread:
    """Run ``action`` in ``delay_s`` on a thread of its own (a fault scheduled on the clock)."""

    def later() -> None:
        time.sleep(delay_s)
        action()

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    return thread


def _drain_budget(executions: int, per_second: float = 10.0, slack_s: float = 90.0) -> float:
    return executions / per_second + slack_s


def _progress(harness: Harness, total: int, fraction: float) -> None:
    """Wait until ``fraction`` of the batch has finished, so a fault lands mid-batch; if the system
    is too slow to get there in time, the fault lands now (and the slowness shows in the figures)."""
    with contextlib.suppress(TimeoutError):
        harness.wait_finished(math.ceil(total * fraction), _drain_budget(total))


# -- 1: kill -9 of the worker ----------------------------------------------------------------------


def worker_kills(short: bool) -> Figures:
    n, kills = _pick(short, 150, 1000), _pick(short, 2, 5)
    with Harness("1", clients_count=n, concurrency=CONCURRENCY) as harness:
        pressing = threading.Thread(target=harness.commission_all)
        pressing.start()
        for k in range(1, kills + 1):
            _progress(harness, n, k / (kills + 1))
            harness.kill_worker()
            time.sleep(1)  # the supervisor's restart delay
            harness.start_worker()
        pressing.join()
        harness.drain(_drain_budget(n))
        figures = harness.figures(f"kill -9 of the worker {kills}x during {n} commissions")
    bound = 2 * kills * CONCURRENCY
    figures.extra.update(
        kills=kills, extra_puts=figures.puts - n, extra_puts_bound=bound, drain_limit_s=_VT_PLUS_120
    )
    return figures


# shared/reference/reliability-notes.md section 6 (S1): all terminal within the visibility timeout
# plus 120 s after the last kill (the harness's visibility timeout is 30 s).
_VT_PLUS_120 = 150


def _check_kills(figures: Figures) -> list[str]:
    extra, bound = figures.extra["extra_puts"], figures.extra["extra_puts_bound"]
    return [f"extra PUTs {extra} > {bound}"] if extra > bound else []


# -- 2: Redis down, Redis restarted ----------------------------------------------------------------


def redis_down_at_submit(short: bool) -> Figures:
    n, down_s = _pick(short, 40, 300), _pick(short, 8, 30)
    with Harness("2a", clients_count=n, concurrency=CONCURRENCY) as harness:
        assert harness.redis is not None
        redis = harness.redis
        redis.kill()
        back_at = time.monotonic() + down_s
        restart = _after(down_s, redis.start)
        harness.commission_all()
        restart.join()
        harness.drain(_drain_budget(n))
        figures = harness.figures(f"Redis down {down_s} s while {n} presses are made")
    while_down = sorted(p.latency_s for p in harness.presses if p.done_at <= back_at)
    figures.extra.update(
        down_s=down_s,
        pressed_while_down=len(while_down),
        press_p99_ms=round(_percentile(while_down, 0.99) * 1000),
        press_limit_ms=PRESS_LIMIT_MS,
        drain_limit_s=60,  # S6 and S4 of the notes: all done within 60 s after Redis returns
    )
    return figures


# An acknowledged press must not wait for the broker: the relay publishes what could not be.
PRESS_LIMIT_MS = 1000


def _percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, math.ceil(fraction * len(values)) - 1)] if values else 0.0


def _check_press_latency(figures: Figures) -> list[str]:
    p99, limit = figures.extra["press_p99_ms"], figures.extra["press_limit_ms"]
    if p99 > limit:
        return [f"presses with Redis down took {p99} ms (p99) > {limit} ms to be acknowledged"]
    return []


def redis_restarts(short: bool) -> Figures:
    n, restarts = _pick(short, 150, 1000), 2
    with Harness("2b", clients_count=n, concurrency=CONCURRENCY) as harness:
        assert harness.redis is not None
        pressing = threading.Thread(target=harness.commission_all)
        pressing.start()
        for k in range(1, restarts + 1):
            _progress(harness, n, k / (restarts + 1))
            harness.redis.kill()  # no persistence: queued and unacknowledged messages are gone
            time.sleep(1)
            harness.redis.start()
        pressing.join()
        harness.drain(_drain_budget(n))
        figures = harness.figures(f"Redis killed and restarted {restarts}x during {n} commissions")
    figures.extra.update(redis_restarts=restarts, drain_limit_s=60)
    return figures


# -- 3: PostgreSQL restarted -----------------------------------------------------------------------


def postgres_restart(short: bool) -> Figures:
    n, down_s = _pick(short, 150, 1000), _pick(short, 4, 15)
    with Harness("3", clients_count=n, concurrency=CONCURRENCY) as harness:
        assert harness.postgres is not None
        postgres = harness.postgres
        first, second = harness.clients[: n // 2], harness.clients[n // 2 :]
        harness.commission_all(first)
        _progress(harness, n // 2, 0.3)
        postgres.stop("immediate")
        restart = _after(down_s, postgres.start)
        harness.commission_all(second)  # refused while it is down, pressed again until acknowledged
        restart.join()
        harness.drain(_drain_budget(n))
        figures = harness.figures(f"PostgreSQL stopped -m immediate for {down_s} s during {n} commissions")
    figures.extra.update(down_s=down_s, drain_limit_s=90)  # S8: all terminal within 90 s
    return figures


# -- 4: the carrier failing, timing out, then down -------------------------------------------------


# The retry budget covers the outage (as it must in production); the lease covers a PUT and five
# read-backs that all time out.
CARRIER_FAULTS = {
    "CARRIER_TIMEOUT_S": "1",
    "LEASE_S": "10",
    "RETRY_MAX_ATTEMPTS": "100",
    "RETRY_MAX_DELAY_S": "4",
}


def carrier_faults(short: bool, platform: FaultPlatform) -> Figures:
    n, down_s = _pick(short, 60, 500), _pick(short, 10, 60)
    key = variant_key(SCENARIOS_BY_KEY["4"], platform)
    with Harness(
        key, clients_count=n, tuning=CARRIER_FAULTS, concurrency=CONCURRENCY, platform=platform
    ) as harness:
        harness.faults(fail_rate=0.3, timeout_rate=0.1, hang_seconds=3)
        harness.commission_all()
        _progress(harness, n, 0.3)
        harness.faults(down=True)
        time.sleep(down_s)
        harness.faults(down=False)
        harness.drain(_drain_budget(n, per_second=3))
        calls = harness.calls()
        title = f"{platform.kind}: 30% 500, 10% timeouts, down {down_s} s, {n} commissions"
        figures = harness.figures(title)
    faults = Counter(call.get("fault") for call in calls)
    figures.extra.update(
        answered_500=faults["fail"],
        timed_out=faults["timeout"],
        answered_503=faults["down"],
        drain_limit_s=300,  # S10: all done within 5 minutes after the carrier recovers
    )
    return figures


# -- 5: Commission/Decommission alternating on the same clients ------------------------------------


def alternating(short: bool) -> Figures:
    m, most, pause_s = _pick(short, 24, 100), _pick(short, 5, 8), 1.5
    rng = random.Random(5)
    with Harness("5", clients_count=m, concurrency=CONCURRENCY) as harness:
        harness.faults(fail_rate=0.3)
        plan = {code: rng.randint(2, most) for code, _ in harness.clients}
        queue: SimpleQueue[tuple[str, str]] = SimpleQueue()
        for member in harness.clients:
            queue.put(member)

        def press_some() -> None:
            local = random.Random(rng.random())
            while True:
                try:
                    code, iccid = queue.get_nowait()
                except Empty:
                    return
                for number in range(plan[code]):
                    action = "commission" if number % 2 == 0 else "decommission"
                    harness.press_until_acknowledged(code, iccid, action)
                    time.sleep(local.uniform(0, pause_s))  # the random delay between presses

        threads = [threading.Thread(target=press_some) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        harness.drain(_drain_budget(sum(plan.values())))
        figures = harness.figures(f"Commission/Decommission alternating on {m} clients, 30% 500s")
    figures.extra.update(deactivated=sum(1 for p in plan.values() if p % 2 == 0))
    return figures


def _check_alternating(figures: Figures) -> list[str]:
    return [] if figures.superseded > 0 else ["no execution was superseded: the scenario did not race"]


# -- 6: the carrier's rate limit -------------------------------------------------------------------


def rate_limit(short: bool, platform: FaultPlatform) -> Figures:
    rate: float = _pick(short, 20, 5)
    n = _pick(short, 100, 300)
    fastest = platform.fastest
    if fastest is not None and rate > fastest:
        # The communicator type refuses a pace above the platform's published limit (emnify: 6.5 calls/s):
        # pace at that, with the batch cut to about the same time.
        rate, n = fastest, math.ceil(n * fastest / rate)
    # The carrier counts whole calls a second: at a pace of 6.5, 7 calls can fall into one second.
    limit = math.ceil(rate)
    key = variant_key(SCENARIOS_BY_KEY["6"], platform)
    with Harness(
        key, clients_count=n, calls_per_second=rate, concurrency=CONCURRENCY, platform=platform
    ) as harness:
        harness.faults(rate_limit=limit)
        harness.commission_all()
        harness.drain(_drain_budget(n, per_second=rate / 2.5))
        calls = [c for c in harness.calls() if platform.on_api(c)]
        figures = harness.figures(
            f"{platform.kind}: carrier limit {limit}/s, pacing {rate:g}/s, {n} commissions"
        )
    figures.extra.update(_pace_figures(platform, calls, limit))
    span = calls[-1]["monotonic"] - calls[0]["monotonic"] if len(calls) > 1 else 0.0
    figures.extra["throughput"] = round(len(calls) / span / rate, 2) if span else 0.0
    return figures


def _pace_figures(platform: FaultPlatform, calls: list[dict[str, Any]], limit: float) -> dict[str, Any]:
    """The carrier's limit, its rate-limit answers, and the most calls that fell into one second."""
    windows = Counter(math.floor(call["monotonic"]) for call in calls)
    return {
        "limit": limit,
        "rate_limited": sum(1 for c in calls if platform.rate_limited(c)),
        "max_in_a_second": max(windows.values(), default=0),
    }


def _check_rate_limit(figures: Figures) -> list[str]:
    extra, problems = figures.extra, []
    if extra["rate_limited"]:
        problems.append(f"{extra['rate_limited']} rate-limit answers with the pacer on")
    if extra["max_in_a_second"] > extra["limit"]:
        problems.append(f"{extra['max_in_a_second']} calls in one second, limit {extra['limit']}")
    return problems


# -- 7: every documented error code ----------------------------------------------------------------


@dataclass(frozen=True)
class _Catalogue:
    """A platform's documented error codes, what each should come to, and our words for it."""

    codes: list[str]
    fate: Callable[[str], str]  # "final", "retried", "renewed" (a new token, same attempt) or "already"
    explanation: Callable[[str], str]


def _expected_fate(code: str) -> str:
    if code == codes.ALREADY_ACTIVATED:
        return "already"
    entry = codes.ERROR_CODES[code]
    return "retried" if code == codes.RATE_LIMIT_EXCEEDED or entry.http_status >= 500 else "final"


def _soap_fate(code: str) -> str:
    retried = (soap_codes.Outcome.RETRY, soap_codes.Outcome.RATE_LIMITED)
    return "retried" if soap_codes.FAULT_CODES[code].outcome in retried else "final"


def _emnify_fate(token: str) -> str:
    status = emnify_codes.ERROR_TOKENS[token].http_status
    if status == 401:
        return "renewed"  # the client renews its JWT and sends the call again, in the same attempt
    return "retried" if status == 429 or status >= 500 else "final"


def _supersim_fate(code: str) -> str:
    status = supersim_codes.ERROR_CODES[int(code)].http_status
    return "retried" if status == 429 or status >= 500 else "final"


def _catalogue(platform: FaultPlatform) -> _Catalogue:
    if platform is JASPER_SOAP:
        return _Catalogue(sorted(soap_codes.FAULT_CODES), _soap_fate, lambda c: soap_codes.explain(c) or "")
    if platform is EMNIFY:
        tokens = emnify_codes.ERROR_TOKENS
        return _Catalogue(sorted(tokens), _emnify_fate, lambda c: tokens[c].explanation)
    if platform is SUPERSIM:
        known = supersim_codes.ERROR_CODES
        numbers = [str(code) for code in sorted(known)]
        return _Catalogue(numbers, _supersim_fate, lambda c: known[int(c)].explanation)
    return _Catalogue(sorted(codes.ERROR_CODES), _expected_fate, lambda c: codes.ERROR_CODES[c].explanation)


def error_codes(short: bool, platform: FaultPlatform) -> Figures:
    catalogue = _catalogue(platform)
    key = variant_key(SCENARIOS_BY_KEY["7"], platform)
    with Harness(
        key, clients_count=len(catalogue.codes), concurrency=CONCURRENCY, platform=platform
    ) as harness:
        by_code = {code: harness.clients[number] for number, code in enumerate(catalogue.codes)}
        fates = {code: catalogue.fate(code) for code in catalogue.codes}
        # The carrier itself answers 10030000 for an active SIM (REST only: SOAP answers it as done).
        harness.load_sims(
            {by_code[code][1]: "ACTIVATED" for code, fate in fates.items() if fate == "already"}
        )
        harness.script_errors(
            [
                {"iccid": iccid, "errorCode": code, "count": 1}
                for code, (_, iccid) in by_code.items()
                if fates[code] != "already"
            ]
        )
        harness.commission_all()
        harness.drain(_drain_budget(len(catalogue.codes)))
        final = {iccid for code, (_, iccid) in by_code.items() if fates[code] == "final"}
        figures = harness.figures(
            f"{platform.kind}: each of the {len(catalogue.codes)} documented error codes once",
            expected=dict.fromkeys(final, platform.initial),
            expected_failures=frozenset(final),
        )
        changes = Counter(c["iccid"] for c in harness.calls() if platform.changes(c))
        wrongly, memos = _judge_codes(by_code, changes, catalogue)
    figures.extra.update(
        final=len(final),
        retried=sum(1 for fate in fates.values() if fate == "retried"),
        misclassified=len(wrongly),
        distinct_messages=len(set(memos.values())),
    )
    figures.problems.extend(wrongly)
    return figures


def _judge_codes(
    by_code: dict[str, tuple[str, str]], changes: Counter[str], catalogue: _Catalogue
) -> tuple[list[str], dict[str, str]]:
    """Each code's fate against what it should be; the failure memo of each final code."""
    wrongly: list[str] = []
    memos: dict[str, str] = {}
    with unit_of_work() as session:
        for code, (_, iccid) in by_code.items():
            execution = session.scalars(
                select(TaskExecution).where(TaskExecution.target_key == f"sim:{iccid}")
            ).one()
            memo = session.scalar(
                select(Signal.memo).where(
                    Signal.execution_id == execution.id, Signal.client_id == execution.client_id
                )
            )
            fate = catalogue.fate(code)
            seen = (execution.status.value, execution.attempts, changes[iccid])
            if fate == "final":
                memos[code] = memo or ""
                words = catalogue.explanation(code)
                ok = seen == ("failed", 1, 1) and code in (memo or "") and words in (memo or "")
            elif fate == "retried":
                ok = seen[0] == ExecutionStatus.SUCCEEDED.value and seen[2] == 2
                ok = ok and code in (execution.last_error or "")
            elif fate == "renewed":
                ok = seen == ("succeeded", 1, 2)
            else:
                ok = seen == ("succeeded", 1, 1)
            if not ok:
                wrongly.append(f"code {code} ({fate}): status, attempts, changes = {seen}; memo {memo!r}")
    return wrongly, memos


def _check_codes(figures: Figures) -> list[str]:
    problems = []
    if figures.extra["misclassified"]:
        problems.append(f"{figures.extra['misclassified']} codes not handled as documented")
    if figures.extra["distinct_messages"] != figures.extra["final"]:
        problems.append("two final codes gave the same failure message")
    return problems


# -- 8: ambiguous outcomes (the change applied, the answer lost) -----------------------------------


def ambiguous(short: bool, platform: FaultPlatform) -> Figures:
    n = _pick(short, 40, 300)
    tuning = {"CARRIER_TIMEOUT_S": "1", "LEASE_S": "10"}
    key = variant_key(SCENARIOS_BY_KEY["8"], platform)
    with Harness(key, clients_count=n, tuning=tuning, concurrency=CONCURRENCY, platform=platform) as harness:
        harness.faults(drop_rate=0.2, hang_seconds=2)
        harness.commission_all()
        harness.drain(_drain_budget(n, per_second=3))
        for code, iccid in harness.clients[: n // 2]:
            harness.press_until_acknowledged(code, iccid, "decommission")
        harness.drain(_drain_budget(n, per_second=3))
        dropped = sum(1 for c in harness.calls() if c.get("fault") == "drop")
        title = f"{platform.kind}: 20% of calls applied but never answered, {n} + {n // 2} presses"
        figures = harness.figures(title)
    figures.extra.update(dropped=dropped)
    return figures


# -- 9: workers on two hosts sharing one carrier account ---------------------------------------------


def _two_hosts(broker: str) -> Callable[[bool], Figures]:
    def run(short: bool) -> Figures:
        rate, n = 2, _pick(short, 12, 60)
        key = "9a" if broker == "amqp" else "9b"
        with Harness(
            key, clients_count=n, calls_per_second=rate, concurrency=CONCURRENCY, broker=broker, hosts=2
        ) as harness:
            harness.faults(rate_limit=rate)
            harness.commission_all()
            harness.drain(_drain_budget(n, per_second=rate / 2.5))
            calls = [c for c in harness.calls() if JASPER_REST.on_api(c)]
            served = harness.hosts_that_ran()
            figures = harness.figures(
                f"2 worker hosts on {broker}, one {rate} calls/s account, {n} commissions"
            )
        figures.extra.update(_pace_figures(JASPER_REST, calls, rate), hosts_that_ran=served)
        return figures

    return run


def _check_two_hosts(figures: Figures) -> list[str]:
    problems = _check_rate_limit(figures)
    if figures.extra["hosts_that_ran"] < 2:
        problems.append(f"only {figures.extra['hosts_that_ran']} of 2 worker hosts carried out executions")
    return problems


# -- 10: a carrier that cuts its answers -------------------------------------------------------------


def cut_answers(short: bool, platform: FaultPlatform) -> Figures:
    n = _pick(short, 40, 200)
    key = variant_key(SCENARIOS_BY_KEY["10"], platform)
    with Harness(key, clients_count=n, concurrency=CONCURRENCY, platform=platform) as harness:
        harness.faults(cut_rate=0.2)
        harness.commission_all()
        harness.drain(_drain_budget(n, per_second=3))
        cut = sum(1 for c in harness.calls() if c.get("fault") == "cut")
        figures = harness.figures(
            f"{platform.kind}: 20% of the carrier's 200 answers cut in half, {n} commissions"
        )
    figures.extra.update(cut=cut)
    return figures


def _check_cut(figures: Figures) -> list[str]:
    return [] if figures.extra["cut"] else ["no answer was cut: the fault did not happen"]


def _no_more(_figures: Figures) -> list[str]:
    return []


SCENARIOS = [
    Scenario("1", "kill -9 of the worker", _on_rest(worker_kills), _check_kills),
    Scenario("2a", "Redis down at submit", _on_rest(redis_down_at_submit), _check_press_latency),
    Scenario("2b", "Redis restarted mid-batch", _on_rest(redis_restarts), _no_more),
    Scenario("3", "PostgreSQL restarted mid-batch", _on_rest(postgres_restart), _no_more),
    Scenario("4", "carrier 500s, timeouts, outage", carrier_faults, _no_more, tuple(PLATFORMS)),
    Scenario("5", "alternating presses under retries", _on_rest(alternating), _check_alternating),
    Scenario("6", "carrier rate limit", rate_limit, _check_rate_limit, tuple(PLATFORMS)),
    Scenario("7", "every documented error code", error_codes, _check_codes, tuple(PLATFORMS)),
    Scenario("8", "ambiguous outcomes", ambiguous, _no_more, tuple(PLATFORMS)),
    Scenario(
        "9a",
        "two worker hosts on RabbitMQ and PostgreSQL",
        _on_rest(_two_hosts("amqp")),
        _check_two_hosts,
    ),
    Scenario("9b", "two worker hosts on Redis", _on_rest(_two_hosts("redis")), _check_two_hosts),
    Scenario("10", "a carrier that cuts its answers", cut_answers, _check_cut, tuple(PLATFORMS)),
]
SCENARIOS_BY_KEY = {scenario.key: scenario for scenario in SCENARIOS}


def select_scenarios(only: str | None) -> list[Scenario]:
    """Scenarios named in ``only`` ("1,2b"; "2" means 2a and 2b), or all."""
    if not only:
        return SCENARIOS
    wanted = {part.strip() for part in only.split(",") if part.strip()}
    chosen = [s for s in SCENARIOS if s.key in wanted or s.key.rstrip("ab") in wanted]
    unknown = wanted - {s.key for s in chosen} - {s.key.rstrip("ab") for s in chosen}
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return chosen


def variants(scenarios: list[Scenario], platform: str | None = None) -> list[tuple[Scenario, FaultPlatform]]:
    """Each scenario on each platform it runs on, or on ``platform`` only (a kind); ValueError if that
    leaves nothing to run."""
    if platform is not None and platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}: one of {', '.join(PLATFORMS)}")
    chosen = [
        (scenario, PLATFORMS[kind])
        for scenario in scenarios
        for kind in scenario.platforms
        if platform is None or kind == platform
    ]
    if not chosen:
        keys = ", ".join(scenario.key for scenario in scenarios)
        raise ValueError(f"scenario(s) {keys} do not run on {platform}")
    return chosen


def verdict(scenario: Scenario, figures: Figures) -> list[str]:
    """What is wrong with a run: the four zeros every scenario needs, then its own figure."""
    problems = [
        f"{name}={value} (must be 0)"
        for name, value in (
            ("lost", figures.lost),
            ("duplicates", figures.duplicates),
            ("wrong", figures.wrong),
            ("failed", figures.failed),
            ("worker_exits", figures.extra.get("worker_exits", 0)),
        )
        if value
    ]
    limit = figures.extra.get("drain_limit_s")
    drained = figures.extra.get("drain_s", 0.0)
    if limit is not None and drained > limit:
        problems.append(f"took {drained:.0f} s to finish every execution after the fault, limit {limit} s")
    return problems + scenario.check(figures)


def run(scenario: Scenario, short: bool, platform: FaultPlatform = JASPER_REST) -> tuple[Figures, list[str]]:
    """Run one scenario on ``platform``; its figures and what failed (empty: it passed)."""
    figures = scenario.run(short, platform)
    return figures, verdict(scenario, figures)


def _save(results: list[dict[str, Any]]) -> None:
    saved: dict[str, Any] = {}
    if RESULTS.exists():
        saved = json.loads(RESULTS.read_text(encoding="utf-8"))
    scenarios = saved.get("scenarios", {})
    for result in results:
        scenarios[result["scenario"]] = result
    saved = {
        "form": "full",
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenarios": scenarios,
    }
    RESULTS.write_text(json.dumps(saved, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the short form (as in CI)")
    parser.add_argument("--only", help="scenarios to run, e.g. 1,2b (2 means 2a and 2b)")
    parser.add_argument(
        "--platform",
        choices=list(PLATFORMS),
        help="run only the variants on this carrier platform (default: each scenario on every "
        "platform it runs on)",
    )
    args = parser.parse_args(argv)
    try:
        chosen = variants(select_scenarios(args.only), args.platform)
    except ValueError as exc:
        parser.error(str(exc))
    failed, results = 0, []
    try:
        for scenario, platform in chosen:
            figures, problems = run(scenario, args.short, platform)
            print(figures.line() + ("" if not problems else "  FAILED: " + "; ".join(problems)), flush=True)
            for problem in figures.problems[:20]:
                print(f"    {problem}", file=sys.stderr, flush=True)
            failed += bool(problems)
            results.append({**figures.as_json(), "passed": not problems, "problems": problems})
    finally:
        stack.remove_template()
    if not args.short:
        _save(results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
