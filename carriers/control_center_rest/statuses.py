"""Control Center's SIM statuses, their canonical states, and its rules for moving between them.

Source: shared/reference/control-center-api.md section 2 (statuses) and error 10000029 (no move back to
a pre-activation status once a SIM has been activated).
"""

from __future__ import annotations

from carriers.platform import SimState

# What staff may ask for in the console, in the order it lists them.
SETTABLE = ("INVENTORY", "ACTIVATION_READY", "ACTIVATED", "DEACTIVATED", "RETIRED")
PRE_ACTIVATION = ("TEST_READY", "INVENTORY", "ACTIVATION_READY")

_STATES = {
    "INVENTORY": SimState.INVENTORY,
    "TEST_READY": SimState.READY,
    "ACTIVATION_READY": SimState.READY,
    "ACTIVATED": SimState.ACTIVE,
    "DEACTIVATED": SimState.SUSPENDED,
    "RETIRED": SimState.TERMINATED,
    "PURGED": SimState.TERMINATED,
}
_FOR_STATE = {
    SimState.INVENTORY: "INVENTORY",
    SimState.READY: "ACTIVATION_READY",
    SimState.ACTIVE: "ACTIVATED",
    SimState.SUSPENDED: "DEACTIVATED",
    SimState.TERMINATED: "RETIRED",
}


def state_of(status: str) -> SimState:
    return _STATES.get(status, SimState.UNKNOWN)


def status_for(state: SimState) -> str:
    try:
        return _FOR_STATE[state]
    except KeyError:
        raise ValueError(f"Control Center has no status for {state.value}") from None


def transition_problem(current: str | None, wanted: str) -> str | None:
    if current == wanted:
        return f"the SIM is already {wanted}"
    activated_before = current not in (None, *PRE_ACTIVATION)
    if activated_before and wanted in PRE_ACTIVATION:
        return "a SIM that has been activated may not move back to a pre-activation status (10000029)"
    return None
