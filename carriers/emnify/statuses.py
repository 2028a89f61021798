"""emnify's SIM statuses (by id), their canonical states, and its rules for moving between them.

Source: emnify's OpenAPI description (shared/reference/carrier-specs/emnify-openapi.yml), ``PATCH
/api/v1/sim/{sim_id}``: Issued (0) may become Activated (1) or Factory Test (4); Factory Test only
Activated; Activated and Suspended (2) switch both ways. Deleted (3) is ``DELETE /api/v1/sim/{sim_id}``,
which cannot be undone and is refused while an endpoint is assigned. emnify charges for an activated
SIM even when its endpoint is disabled: suspending is what stops the bill.
"""

from __future__ import annotations

from carriers.platform import SimState

ISSUED, ACTIVATED, SUSPENDED, DELETED, FACTORY_TEST = (
    "Issued",
    "Activated",
    "Suspended",
    "Deleted",
    "Factory Test",
)

IDS = {ISSUED: 0, ACTIVATED: 1, SUSPENDED: 2, DELETED: 3, FACTORY_TEST: 4}
NAMES = {number: name for name, number in IDS.items()}

# What staff may ask for in the console, in the order it lists them.
SETTABLE = (ACTIVATED, SUSPENDED, FACTORY_TEST, DELETED)

MOVES: dict[str, frozenset[str]] = {
    ISSUED: frozenset({ACTIVATED, FACTORY_TEST}),
    FACTORY_TEST: frozenset({ACTIVATED}),
    ACTIVATED: frozenset({SUSPENDED, DELETED}),
    SUSPENDED: frozenset({ACTIVATED, DELETED}),
    DELETED: frozenset(),
}

_STATES = {
    ISSUED: SimState.INVENTORY,
    FACTORY_TEST: SimState.READY,
    ACTIVATED: SimState.ACTIVE,
    SUSPENDED: SimState.SUSPENDED,
    DELETED: SimState.TERMINATED,
}
_FOR_STATE = {
    SimState.READY: FACTORY_TEST,
    SimState.ACTIVE: ACTIVATED,
    SimState.SUSPENDED: SUSPENDED,
    SimState.TERMINATED: DELETED,
}


def state_of(status: str) -> SimState:
    return _STATES.get(status, SimState.UNKNOWN)


def status_for(state: SimState) -> str:
    try:
        return _FOR_STATE[state]
    except KeyError:
        raise ValueError(f"emnify has no status for {state.value}") from None


def name_of(status_id: int | None) -> str | None:
    """The status name of an emnify status id (None for an id emnify does not document)."""
    return NAMES.get(status_id) if status_id is not None else None


def transition_problem(current: str | None, wanted: str) -> str | None:
    if wanted not in IDS:
        return f"emnify has no SIM status {wanted!r}"
    if current == wanted:
        return f"the SIM is already {wanted}"
    if current is None or current not in MOVES:
        return None  # not read: the carrier decides
    if wanted not in MOVES[current]:
        allowed = ", ".join(sorted(MOVES[current])) or "nothing (deleted SIMs cannot be recovered)"
        return f"emnify does not move a SIM from {current} to {wanted}; from {current} only to {allowed}"
    return None
