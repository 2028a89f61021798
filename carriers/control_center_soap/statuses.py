"""Control Center's SIM statuses as its SOAP API names them, their canonical states, and its rules.

SOAP names each status of the REST API with a ``_NAME`` suffix (``ACTIVATED_NAME``), adds ``TRIAL_NAME``
and shows ``REPLACED_NAME`` on read only (shared/reference/control-center-api.md section 5). The states and
the rules are the REST platform's: one account, one life of a SIM, whichever API asks.
"""

from __future__ import annotations

from carriers.control_center_rest import statuses as rest
from carriers.platform import SimState

_SUFFIX = "_NAME"

SETTABLE = tuple(f"{status}{_SUFFIX}" for status in rest.SETTABLE)


def to_rest(status: str) -> str:
    """The REST name of a SOAP status (``ACTIVATED_NAME`` → ``ACTIVATED``); unknown names unchanged."""
    return status.removesuffix(_SUFFIX)


def from_rest(status: str) -> str:
    """The SOAP name of a REST status."""
    return f"{status}{_SUFFIX}"


def state_of(status: str) -> SimState:
    if status == "TRIAL_NAME":
        return SimState.READY
    return rest.state_of(to_rest(status)) if status.endswith(_SUFFIX) else SimState.UNKNOWN


def status_for(state: SimState) -> str:
    return from_rest(rest.status_for(state))


def transition_problem(current: str | None, wanted: str) -> str | None:
    if current == wanted:
        return f"the SIM is already {wanted}"
    before = None if current is None else to_rest(current)
    activated_before = before not in (None, *rest.PRE_ACTIVATION, "TRIAL")
    if activated_before and to_rest(wanted) in rest.PRE_ACTIVATION:
        return (
            "a SIM that has been activated may not move back to a pre-activation status "
            "(SIMSTATUS_INVALID_TRANSITION)"
        )
    return None
