"""The spine's whole flow on the other carrier platforms, with real processes: commission, its outcome,
decommission, its outcome, and an ICCID the platform does not know failing with its reason.

One simulator serves every platform on one port; on each database stack (SQLite + kombu's SQLAlchemy
broker, PostgreSQL + Redis).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from centre import clients, communicator_types, seed, sims
from centre.clients import ClientRef
from centre.validation import with_luhn_digit
from cli.processes import free_port, start_simulator, stop
from features.sim_swap import service as sim_swap
from models import Signal, utcnow
from models.db import unit_of_work
from pipeline import system_events
from tests.integration.fixtures import OPERATOR, SIM_KEY, SIM_USER, wait_for

pytestmark = pytest.mark.integration

EMNIFY_TOKEN = "emnify-app-token-3c2b1a"
ACCOUNT_SID, AUTH_TOKEN = "AC" + "4d" * 16, "supersim-auth-token-8e7f"
KORE_CLIENT_ID, KORE_CLIENT_SECRET = "kore-client-5a", "kore-client-secret-6b7c"


@dataclass
class Platforms:
    env: dict[str, str]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin(self, path: str, body: object) -> None:
        httpx.post(
            f"{self.base}/_admin{path}", json=body, auth=(SIM_USER, SIM_KEY), timeout=5
        ).raise_for_status()

    def faults(self, **changes: object) -> None:
        answer = httpx.put(f"{self.base}/_admin/faults", json=changes, auth=(SIM_USER, SIM_KEY), timeout=5)
        answer.raise_for_status()

    def faulted_calls(self) -> int:
        answer = httpx.get(f"{self.base}/_admin/calls", auth=(SIM_USER, SIM_KEY), timeout=5)
        return sum(1 for call in answer.json()["calls"] if call["fault"] in ("fail", "drop"))

    def emnify_status(self, iccid: str) -> str:
        answer = httpx.get(f"{self.base}/_admin/emnify/sims", auth=(SIM_USER, SIM_KEY), timeout=5)
        [sim] = [sim for sim in answer.json() if sim["iccid_with_luhn"] == iccid]
        return str(sim["status"]["description"])

    def tokens_issued(self) -> int:
        answer = httpx.get(f"{self.base}/_admin/supersim/tokens", auth=(SIM_USER, SIM_KEY), timeout=5)
        return int(answer.json()["issued"])

    def supersim_status(self, iccid: str) -> str:
        answer = httpx.get(f"{self.base}/_admin/supersim/sims", auth=(SIM_USER, SIM_KEY), timeout=5)
        [sim] = [sim for sim in answer.json() if sim["iccid"] == iccid]
        return str(sim["status"])


@pytest.fixture
def platforms(broker: str, env: dict[str, str]) -> Iterator[Platforms]:
    port = free_port()
    extra = [
        "--strict",
        "--emnify-token",
        EMNIFY_TOKEN,
        "--account-sid",
        ACCOUNT_SID,
        "--auth-token",
        AUTH_TOKEN,
        "--kore-client-id",
        KORE_CLIENT_ID,
        "--kore-client-secret",
        KORE_CLIENT_SECRET,
    ]
    simulator = start_simulator(port, SIM_USER, SIM_KEY, extra=extra, env={**os.environ, **env})
    try:
        yield Platforms(env, port)
    finally:
        stop(simulator)


@pytest.fixture
def platform_worker(platforms: Platforms) -> Iterator[subprocess.Popen[bytes]]:
    from cli.processes import start_worker

    proc = start_worker({**os.environ, **platforms.env})
    yield proc
    stop(proc)


def _iccid(number: int) -> str:
    return with_luhn_digit(f"8949{os.getpid() % 10_000:04d}{number:010d}")


def _add_client(code: str, comm: str, iccid: str) -> None:
    with unit_of_work() as session:
        client = clients.add(session, code, f"Client {code}", OPERATOR)
        clients.add_device(session, client, comm, iccid, OPERATOR)


def _press(code: str, action: str) -> None:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        if action == "commission":
            clients.commission(session, client, OPERATOR)
        else:
            clients.decommission(session, client, OPERATOR, "moved out", offline=True)


def _outcomes(code: str) -> list[Signal]:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        query = select(Signal).where(Signal.client_id == client.id, Signal.outcome.is_not(None))
        return list(session.scalars(query.order_by(Signal.id)))


def _flow(code: str, status: Callable[[], str], on: str, off: str) -> None:
    _press(code, "commission")
    wait_for(lambda: len(_outcomes(code)) == 1, "the commission outcome")
    [activated] = _outcomes(code)
    assert (activated.outcome, activated.type_no) == ("succeeded", system_events.TASK_SUCCEEDED), (
        activated.memo
    )
    assert on in activated.memo
    assert status() == on

    _press(code, "decommission")
    wait_for(lambda: len(_outcomes(code)) == 2, "the decommission outcome")
    assert _outcomes(code)[1].outcome == "succeeded", _outcomes(code)[1].memo
    assert status() == off


def _add_types(platforms: Platforms) -> None:
    with unit_of_work() as session:
        seed.seed(session, OPERATOR)
        emnify = f"{platforms.base}/api/v1"
        communicator_types.add(session, "Roaming", emnify, "", EMNIFY_TOKEN, OPERATOR, "emnify")
        supersim = f"{platforms.base}/v1"
        communicator_types.add(session, "Super", supersim, ACCOUNT_SID, AUTH_TOKEN, OPERATOR, "supersim")
        communicator_types.add(
            session, "KORE", supersim, KORE_CLIENT_ID, KORE_CLIENT_SECRET, OPERATOR, "supersim-oauth2"
        )


def _fails_unknown(code: str, iccid: str, words: str, secret: str) -> None:
    _press(code, "commission")
    wait_for(lambda: len(_outcomes(code)) == 1, "the failure outcome")
    [failed] = _outcomes(code)
    assert (failed.outcome, failed.type_no) == ("failed", system_events.TASK_FAILED)
    assert iccid in failed.memo
    assert words in failed.memo
    assert secret not in failed.memo


# SQLite and PostgreSQL (the broker changes nothing for a platform); the fault scenario on the
# production stack only: keeps the suite's time small.
@pytest.mark.parametrize(
    ("database", "broker"),
    [("sqlite", "sqla"), ("postgresql", "redis")],
    indirect=True,
    ids=["sqlite", "postgresql"],
)
def test_the_whole_flow_on_emnify_and_super_sim(
    platforms: Platforms, platform_worker: subprocess.Popen[bytes]
) -> None:
    """Both platforms in one test: one simulator and one worker start per stack, not two."""
    emnify_sim, supersim_sim, unknown = _iccid(1), _iccid(2), _iccid(3)
    platforms.admin("/emnify/sims", [{"iccid": emnify_sim}])
    platforms.admin("/supersim/sims", [{"iccid": supersim_sim}])
    _add_types(platforms)
    _add_client("EMN1", "Roaming", emnify_sim)
    _add_client("EMN2", "Roaming", unknown)
    _add_client("SUP1", "Super", supersim_sim)
    _add_client("SUP2", "Super", unknown)

    _flow("EMN1", lambda: platforms.emnify_status(emnify_sim), "Activated", "Suspended")
    _fails_unknown("EMN2", unknown, "has no SIM with this ICCID", EMNIFY_TOKEN)
    # Asynchronous: the change is scheduled first, and the outcome waits (bounded) for it to land.
    _flow("SUP1", lambda: platforms.supersim_status(supersim_sim), "active", "inactive")
    _fails_unknown("SUP2", unknown, "no Super SIM with this ICCID", AUTH_TOKEN)


@pytest.mark.parametrize(("database", "broker"), [("postgresql", "redis")], indirect=True, ids=["postgresql"])
def test_carrier_faults_on_emnify_and_super_sim(
    platforms: Platforms, platform_worker: subprocess.Popen[bytes]
) -> None:
    """The fault suite's carrier scenario, small: 500s and answers withheld after the change was made
    (the caller cannot tell), on both platforms at once. Every commission ends succeeded, once, with
    the SIM active; the faults did happen."""
    sims = {f"F{number}": _iccid(10 + number) for number in range(6)}
    platforms.admin("/emnify/sims", [{"iccid": iccid} for code, iccid in sims.items() if code < "F3"])
    platforms.admin("/supersim/sims", [{"iccid": iccid} for code, iccid in sims.items() if code >= "F3"])
    _add_types(platforms)
    for code, iccid in sims.items():
        _add_client(code, "Roaming" if code < "F3" else "Super", iccid)
    platforms.faults(fail_rate=0.15, drop_rate=0.05, hang_seconds=1)
    for code in sims:
        _press(code, "commission")
    wait_for(lambda: all(len(_outcomes(code)) == 1 for code in sims), "every commission's outcome")
    platforms.faults(fail_rate=0, drop_rate=0)
    assert platforms.faulted_calls() > 0
    for code, iccid in sims.items():
        [outcome] = _outcomes(code)
        assert outcome.outcome == "succeeded", outcome.memo
        status = platforms.emnify_status(iccid) if code < "F3" else platforms.supersim_status(iccid)
        assert status in ("Activated", "active")


@pytest.mark.parametrize(
    ("database", "broker"),
    [("sqlite", "sqla"), ("postgresql", "redis")],
    indirect=True,
    ids=["sqlite", "postgresql"],
)
def test_the_whole_flow_on_super_sim_with_kores_oauth2_client_credentials(
    platforms: Platforms, platform_worker: subprocess.Popen[bytes]
) -> None:
    """Commission and decommission through a bearer token from KORE's token API (renewed when the
    simulator expires it between the two); a wrong client secret fails at once, naming the cause."""
    sim, other = _iccid(20), _iccid(21)
    platforms.admin("/supersim/sims", [{"iccid": sim}, {"iccid": other}])
    with unit_of_work() as session:
        seed.seed(session, OPERATOR)
        address = f"{platforms.base}/v1"
        add = communicator_types.add
        add(session, "KORE", address, KORE_CLIENT_ID, KORE_CLIENT_SECRET, OPERATOR, "supersim-oauth2")
        add(session, "KORE bad", address, KORE_CLIENT_ID, "not-the-secret-1d", OPERATOR, "supersim-oauth2")
    _add_client("KOR1", "KORE", sim)
    _add_client("KOR2", "KORE bad", other)

    _press("KOR1", "commission")
    wait_for(lambda: len(_outcomes("KOR1")) == 1, "the commission outcome")
    assert _outcomes("KOR1")[0].outcome == "succeeded", _outcomes("KOR1")[0].memo
    assert platforms.supersim_status(sim) == "active"
    issued = platforms.tokens_issued()
    platforms.admin("/supersim/expire-tokens", {})
    _press("KOR1", "decommission")
    wait_for(lambda: len(_outcomes("KOR1")) == 2, "the decommission outcome")
    assert _outcomes("KOR1")[1].outcome == "succeeded", _outcomes("KOR1")[1].memo
    assert platforms.supersim_status(sim) == "inactive"
    assert platforms.tokens_issued() > issued  # the expired token was renewed, not given up on

    _press("KOR2", "commission")
    wait_for(lambda: len(_outcomes("KOR2")) == 1, "the failure outcome", timeout_s=60)
    [failed] = _outcomes("KOR2")
    assert (failed.outcome, failed.type_no) == ("failed", system_events.TASK_FAILED)
    assert "invalid_client" in failed.memo
    assert "client secret" in failed.memo
    assert "not-the-secret-1d" not in failed.memo
    assert KORE_CLIENT_SECRET not in failed.memo
    assert platforms.supersim_status(other) == "new"


@dataclass(frozen=True)
class SwapCase:
    """One platform's SIM swap: its communicator type, how its simulator stores SIMs, its statuses."""

    kind: str
    comm: str
    admin_path: str
    old_status: str  # loaded as in service
    new_status: str  # loaded as delivered, never used
    on: str
    off: str
    unknown_words: str


SWAPS = {
    "emnify": SwapCase(
        "emnify", "Roaming", "/emnify/sims", "Activated", "Issued", "Activated", "Suspended",
        "has no SIM with this ICCID",
    ),
    "supersim": SwapCase(
        "supersim", "Super", "/supersim/sims", "active", "new", "active", "inactive",
        "no Super SIM with this ICCID",
    ),
    "supersim-oauth2": SwapCase(
        "supersim-oauth2", "KORE", "/supersim/sims", "active", "new", "active", "inactive",
        "no Super SIM with this ICCID",
    ),
}  # fmt: skip


def _swap_status(platforms: Platforms, case: SwapCase, iccid: str) -> str:
    if case.kind == "emnify":
        return platforms.emnify_status(iccid)
    return platforms.supersim_status(iccid)


def _commissioned_client(code: str, comm: str, iccid: str) -> None:
    _add_client(code, comm, iccid)
    with unit_of_work() as session:
        clients.find(session, ClientRef(code)).commissioned_at = utcnow()


def _device_iccid(code: str) -> str:
    with unit_of_work() as session:
        [sim] = sims.of_client(session, clients.find(session, ClientRef(code)))
        return sim.iccid


@pytest.mark.parametrize(("database", "broker"), [("sqlite", "sqla")], indirect=True, ids=["sqlite"])
@pytest.mark.parametrize("case", SWAPS.values(), ids=SWAPS.keys())
def test_a_sim_swap_on_emnify_and_super_sim_basic_and_oauth2(platforms: Platforms, case: SwapCase) -> None:
    """The swap in steps against the simulator: the new SIM switched on and confirmed (Super SIM's
    asynchronous change waited for), the old one off, the device moved; a new SIM the carrier does not
    know leaves the device and the old SIM as they were, and says why."""
    old, new, other_old, unknown = _iccid(30), _iccid(31), _iccid(32), _iccid(33)
    status = {"status": case.old_status}
    platforms.admin(case.admin_path, [{"iccid": old, **status}, {"iccid": other_old, **status}])
    platforms.admin(case.admin_path, [{"iccid": new, "status": case.new_status}])
    _add_types(platforms)
    _commissioned_client("SWP1", case.comm, old)
    _commissioned_client("SWP2", case.comm, other_old)

    outcome = sim_swap.swap(ClientRef("SWP1"), old, new, OPERATOR)

    assert outcome.done, outcome.message
    assert (outcome.new_status, outcome.old_status) == (case.on, case.off)
    assert (_swap_status(platforms, case, new), _swap_status(platforms, case, old)) == (case.on, case.off)
    assert _device_iccid("SWP1") == new
    with unit_of_work() as session:
        client = clients.find(session, ClientRef("SWP1"))
        memos = session.scalars(
            select(Signal.memo).where(
                Signal.client_id == client.id, Signal.type_no == system_events.SIM_CONSOLE_ACTION
            )
        ).all()
    assert any("SIM swap done" in (memo or "") for memo in memos)

    failed = sim_swap.swap(ClientRef("SWP2"), other_old, unknown, OPERATOR)

    assert not failed.done
    assert case.unknown_words in failed.message
    assert ".;" not in failed.message  # the carrier's sentence and the next step read as one text
    assert "the device stays on" in failed.message
    assert _device_iccid("SWP2") == other_old
    assert _swap_status(platforms, case, other_old) == case.on
