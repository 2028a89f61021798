"""Super SIM's statuses (Twilio and KORE alike), their canonical states, and its rules.

Source: twilio_supersim_v1.json and kore-supersim.json (``sim_enum_status``: new, ready, active,
inactive, scheduled; an update asks for ready, active or inactive) and the status guide
(shared/reference/carrier-platforms.md §1): ``new`` costs nothing and a SIM never goes back to it;
``ready`` may only be reached from ``new``, is free, and turns ``active`` by itself after first real
traffic (250 KB, 5 SMS Commands or 3 months); ``scheduled`` is a change under way (updates are
asynchronous). ``inactive`` stops the bill. The API has no way to end a SIM's life.
"""

from __future__ import annotations

from carriers.platform import SimState

NEW, READY, ACTIVE, INACTIVE, SCHEDULED = "new", "ready", "active", "inactive", "scheduled"

# What staff may ask for in the console, in the order it lists them.
SETTABLE = (READY, ACTIVE, INACTIVE)
# Moves the carrier makes by itself: seeing the second where the first was asked is no drift.
AUTOMATIC = frozenset({(READY, ACTIVE)})
# A change under way: not judged until it lands.
TRANSITIONAL = frozenset({SCHEDULED})

_STATES = {
    NEW: SimState.INVENTORY,
    READY: SimState.READY,
    ACTIVE: SimState.ACTIVE,
    INACTIVE: SimState.SUSPENDED,
}
_FOR_STATE = {SimState.READY: READY, SimState.ACTIVE: ACTIVE, SimState.SUSPENDED: INACTIVE}


def state_of(status: str) -> SimState:
    return _STATES.get(status, SimState.UNKNOWN)


def status_for(state: SimState) -> str:
    try:
        return _FOR_STATE[state]
    except KeyError:
        raise ValueError(
            f"Super SIM has no status for {state.value} (its API cannot end a SIM's life)"
        ) from None


def transition_problem(current: str | None, wanted: str) -> str | None:
    if wanted not in SETTABLE:
        return f"Super SIM can be asked for {', '.join(SETTABLE)} only, not {wanted!r}"
    if current == wanted:
        return f"the SIM is already {wanted}"
    if current == SCHEDULED:
        return "a change of this SIM is still under way (scheduled): wait for it to finish"
    if wanted == READY and current not in (None, NEW):
        return "Super SIM allows ready only for a new SIM (a SIM never goes back to ready)"
    return None
