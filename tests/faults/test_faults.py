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


def test_the_carrier_scenarios_run_on_every_platform_and_the_others_on_rest() -> None:
    by_key = {faults.variant_key(s, p) for s, p in VARIANTS}
    every_platform = {
        f"{key}{kind}" for key in ("4", "8", "10") for kind in ("", "-jasper-soap", "-emnify", "-supersim")
    }
    assert every_platform | {"7", "7-jasper-soap"} <= by_key
    assert {p.kind for s, p in VARIANTS if s.key not in ("4", "7", "8", "10")} == {JASPER_REST.kind}
    assert len(PLATFORMS) == 4
    only_emnify = faults.variants(faults.select_scenarios("4"), "emnify")
    assert [(s.key, p) for s, p in only_emnify] == [("4", EMNIFY)]
    with pytest.raises(ValueError, match="do not run on emnify"):
        faults.variants(faults.select_scenarios("1"), "emnify")
    with pytest.raises(ValueError, match="unknown platform"):
        faults.variants(faults.SCENARIOS, "hologram")
