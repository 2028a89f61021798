"""``python -m bench.platforms``: bulk status changes on emnify and Super SIM at the account's limit.

What a bulk commissioning asks of the carrier layer, measured without the rest of the pipeline: N
SIMs, each switched by the execution's own code (``features.commissioning.sim_job.change_status``:
the change, then its read-back) from many threads at once, through the account's paced connection
(``carriers/pool.py``) against the simulator on this machine. The account is paced at the platform's
limit, and the simulator enforces it: emnify's published limits as emnify states them, Super SIM's by
the simulator's rate-limit switch at the same figure (Super SIM publishes a concurrency limit, not a
rate). Reported: the time against the ideal (the calls made, at the limit), and the rate-limit answers
(which should be none).
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import click
import httpx

from carriers.accounts import CarrierAccount
from carriers.errors import CarrierError
from centre.validation import with_luhn_digit
from config import get_config
from features.commissioning import sim_job
from models import ExecutionStatus
from simulator import SimulatorConfig
from simulator.server import in_thread

ADMIN = ("bench", "bench-key")
EMNIFY_TOKEN = "bench-emnify-token"  # noqa: S105 (the private simulator's own token)
ACCOUNT_SID, AUTH_TOKEN = "AC" + "be" * 16, "bench-auth-token"
LIMIT_ANSWERS = {"too_many_requests", "20429"}


@dataclass(frozen=True)
class Platform:
    kind: str
    path: str
    user_name: str
    secret: str
    rate: float
    wanted: str
    admin_sims: str


PLATFORMS = [
    Platform("emnify", "/api/v1", "application token", EMNIFY_TOKEN, 6.5, "Activated", "/emnify/sims"),
    Platform("supersim", "/v1", ACCOUNT_SID, AUTH_TOKEN, 5.0, "active", "/supersim/sims"),
]


def measure(base: str, platform: Platform, n: int, threads: int, account_id: int) -> dict[str, Any]:
    """Switch ``n`` fresh SIMs on ``platform``; the figures."""
    iccids = [with_luhn_digit(f"8949{account_id:03d}{i:011d}") for i in range(n)]
    admin = httpx.Client(base_url=f"{base}/_admin", auth=ADMIN, timeout=10)
    admin.post(platform.admin_sims, json=[{"iccid": iccid} for iccid in iccids]).raise_for_status()
    if platform.kind == "supersim":
        admin.put("/faults", json={"rate_limit": platform.rate}).raise_for_status()
    first = int(admin.get("/calls", params={"since": 10**12}).json()["next"])
    account = CarrierAccount(
        account_id,
        platform.kind,
        f"{base}{platform.path}",
        platform.user_name,
        platform.secret,
        platform.rate,
    )
    started = time.monotonic()

    def switch(iccid: str) -> ExecutionStatus:
        try:
            return sim_job.change_status(sim_job.SimJob(account, iccid, {}), platform.wanted).status
        except CarrierError:
            return ExecutionStatus.FAILED  # a task would retry it; the bench counts it

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(switch, iccids))
    elapsed = time.monotonic() - started
    admin.put("/faults", json={"rate_limit": 0}).raise_for_status()
    calls = [
        c
        for c in admin.get("/calls", params={"since": first}).json()["calls"]
        if c["path"].startswith(platform.path)
    ]
    limited = sum(1 for call in calls if call.get("errorCode") in LIMIT_ANSWERS)
    ideal = len(calls) / platform.rate
    return {
        "platform": platform.kind,
        "sims": n,
        "calls": len(calls),
        "calls_per_sim": round(len(calls) / n, 2),
        "rate": platform.rate,
        "total_s": round(elapsed, 2),
        "ideal_s": round(ideal, 2),
        "vs_ideal": round(elapsed / ideal, 3),
        "rate_limit_answers": limited,
        "confirmed": outcomes.count(ExecutionStatus.SUCCEEDED),
        "failed": outcomes.count(ExecutionStatus.FAILED),
    }


@click.command()
@click.option("-n", "count", default=60, show_default=True, help="SIMs per platform.")
@click.option("--threads", default=16, show_default=True)
def main(count: int, threads: int) -> None:
    """Bulk status changes on each new platform at its limit; prints one line per platform."""
    os.environ.setdefault("COMMISSIONER_DATA_DIR", tempfile.mkdtemp(prefix="bench-platforms-"))
    os.environ["COMMISSIONER_ALLOW_INSECURE_CARRIERS"] = "true"
    os.environ.setdefault("COMMISSIONER_CONFIRM_INTERVAL_S", "0.25")
    get_config.cache_clear()
    config = SimulatorConfig(
        *ADMIN, strict=True, emnify_token=EMNIFY_TOKEN, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN
    )
    with in_thread(config) as base:
        for number, platform in enumerate(PLATFORMS, start=1):
            figures = measure(base, platform, count, threads, number)
            click.echo(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
