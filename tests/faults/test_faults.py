"""The fault-injection suite in its short form (bench/faults.py): real processes, real faults.

Each scenario starts its own PostgreSQL cluster, redis-server, carrier simulator, Celery worker and beat
on free ports (never the shared services on 5432 and 6379), so the PostgreSQL server binaries and
redis-server must be installed. The figures line of each scenario is printed (``pytest -s``). The
carrier scenarios run once per carrier platform they apply to: their test ids name the platform
(``4-emnify``; plain ``4`` is Control Center REST), so ``-k 4`` selects every variant of 4 and
``-k emnify`` one platform's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import fault_stack, faults
from bench.fault_platforms import EMNIFY, JASPER_REST, PLATFORMS, FaultPlatform

pytestmark = pytest.mark.integration

# Defects of the system that some figures show today, by scenario and by the start of the problem
# they raise. They do not excuse lost, duplicate or wrong: those always fail the test. A known
# defect seen in a run makes it an expected failure (xfail) that names it; once it is fixed the test
# simply passes, and its entry here should go.
KNOWN_DEFECTS = {
    "2b": {
        "worker_exits=": (
            "the worker can exit on a second broker connection loss: kombu's Channel.close restores "
            "unacknowledged messages through a transport whose client is None (AttributeError "
            "'hostname', 'Unrecoverable error'); a supervisor has to start it again"
        ),
    },
}


@pytest.fixture(scope="module", autouse=True)
def _template_cluster() -> Iterator[None]:
    yield
    fault_stack.remove_template()  # the migrated PostgreSQL cluster the scenarios copy


def _known(key: str, problem: str) -> str | None:
    for start, defect in KNOWN_DEFECTS.get(key, {}).items():
        if problem.startswith(start):
            return defect
    return None


VARIANTS = faults.variants(faults.SCENARIOS)


@pytest.mark.parametrize(
    ("scenario", "platform"), VARIANTS, ids=[faults.variant_key(s, p) for s, p in VARIANTS]
)
def test_scenario_holds_under_its_fault(scenario: faults.Scenario, platform: FaultPlatform) -> None:
    figures, problems = faults.run(scenario, short=True, platform=platform)
    print(figures.line())
    unknown = [p for p in problems if _known(scenario.key, p) is None]
    assert not unknown, "\n".join([figures.line(), *problems, *figures.problems[:30]])
    known = sorted({d for p in problems if (d := _known(scenario.key, p)) is not None})
    if known:
        pytest.xfail(f"known defect: {'; '.join(known)} ({figures.line()})")


def test_scenarios_are_selected_by_key() -> None:
    assert [s.key for s in faults.select_scenarios("1,2")] == ["1", "2a", "2b"]
    assert [s.key for s in faults.select_scenarios("2b")] == ["2b"]
    with pytest.raises(ValueError, match="99"):
        faults.select_scenarios("99")


CARRIER_SCENARIOS = ("4", "6", "7", "8", "10")


def test_the_carrier_scenarios_run_on_every_platform_and_the_others_on_rest() -> None:
    by_key = {faults.variant_key(s, p) for s, p in VARIANTS}
    every_platform = {
        f"{key}{kind}" for key in CARRIER_SCENARIOS for kind in ("", "-jasper-soap", "-emnify", "-supersim")
    }
    assert every_platform <= by_key
    assert {p.kind for s, p in VARIANTS if s.key not in CARRIER_SCENARIOS} == {JASPER_REST.kind}
    assert len(PLATFORMS) == 4
    only_emnify = faults.variants(faults.select_scenarios("4"), "emnify")
    assert [(s.key, p) for s, p in only_emnify] == [("4", EMNIFY)]
    new_variants = faults.variants(faults.select_scenarios("6,7"), "supersim")
    assert [faults.variant_key(s, p) for s, p in new_variants] == ["6-supersim", "7-supersim"]
    with pytest.raises(ValueError, match="do not run on emnify"):
        faults.variants(faults.select_scenarios("1"), "emnify")
    with pytest.raises(ValueError, match="unknown platform"):
        faults.variants(faults.SCENARIOS, "hologram")


def test_each_platform_tells_its_rate_limit_answers_and_its_calls_apart() -> None:
    answered = {
        "jasper-rest": {"path": "/rws/api/v1/devices/1", "status": 429, "errorCode": "40000029"},
        "jasper-soap": {"path": "/ws/service/Terminal", "status": 500, "errorCode": "400101"},
        "emnify": {"path": "/api/v1/sim/1000", "status": 429, "errorCode": "too_many_requests"},
        "supersim": {"path": "/v1/Sims/HS00", "status": 429, "errorCode": "20429"},
    }
    for kind, call in answered.items():
        platform = PLATFORMS[kind]
        assert platform.rate_limited(call), kind
        assert platform.on_api(call), kind
        assert not platform.rate_limited({**call, "status": 500, "errorCode": "20500"}), kind
        others = [other for other in answered.values() if other is not call]
        assert not any(platform.on_api(other) for other in others), kind
    assert EMNIFY.fastest == 6.5  # the communicator type refuses a faster pace: scenario 6 paces at it
    assert JASPER_REST.fastest is None


def test_the_error_code_scenario_expects_on_each_platform_what_its_clients_error_tree_gives() -> None:
    emnify = faults._catalogue(EMNIFY)
    assert {code: emnify.fate(code) for code in emnify.codes} == {
        "endpoint_assigned": "final",
        "internal_error": "retried",
        "invalid_request": "final",
        "invalid_status_transition": "final",
        "invalid_token": "renewed",
        "no_endpoint": "final",
        "not_found": "final",
        "token_expired": "renewed",
        "too_many_requests": "retried",
    }
    supersim = faults._catalogue(PLATFORMS["supersim"])
    assert {code: supersim.fate(code) for code in supersim.codes} == {
        "20001": "final",
        "20003": "final",
        "20404": "final",
        "20429": "retried",
        "20500": "retried",
        "83010": "final",
    }
