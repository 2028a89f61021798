"""From a panel's event to a signal's type number and zone: SIA codes (``BA``) and Contact ID qualifier
plus event (``1130``: 1 new event, 3 restore, 6 previously reported; event 130 burglary).

Seeded with the common events (``DEFAULTS``) the first time the receiver starts on an empty map;
staff change it with ``commissioner receiver map set`` (an action plan then runs tasks on those
type numbers as it does on 65516/65517). The default type numbers are the Contact ID event codes,
restores 1000 above them.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from centre import oplog, validation
from centre.errors import InvalidInput
from models import PanelEventCode

SIA = "sia"
CID = "cid"
PROTOCOLS = (SIA, CID)
_SIA_CODE = re.compile(r"^[A-Z]{2}$")
_CID_CODE = re.compile(r"^[136][0-9]{3}$")

# protocol, code, type number, description, test report
DEFAULTS: list[tuple[str, str, int, str, bool]] = [
    (SIA, "BA", 130, "Burglary alarm", False),
    (SIA, "BR", 1130, "Burglary restore", False),
    (SIA, "FA", 110, "Fire alarm", False),
    (SIA, "FR", 1110, "Fire restore", False),
    (SIA, "AT", 301, "AC power lost", False),
    (SIA, "AR", 1301, "AC power restored", False),
    (SIA, "YT", 302, "Low battery", False),
    (SIA, "YR", 1302, "Battery restored", False),
    (SIA, "RP", 602, "Periodic test report", True),
    (SIA, "OP", 401, "Opening (disarmed)", False),
    (SIA, "CL", 1401, "Closing (armed)", False),
    (CID, "1130", 130, "Burglary alarm", False),
    (CID, "3130", 1130, "Burglary restore", False),
    (CID, "1110", 110, "Fire alarm", False),
    (CID, "3110", 1110, "Fire restore", False),
    (CID, "1301", 301, "AC power lost", False),
    (CID, "3301", 1301, "AC power restored", False),
    (CID, "1302", 302, "Low battery", False),
    (CID, "3302", 1302, "Battery restored", False),
    (CID, "1602", 602, "Periodic test report", True),
    (CID, "1401", 401, "Opening (disarmed)", False),
    (CID, "3401", 1401, "Closing (armed)", False),
]


@dataclass(frozen=True)
class Mapped:
    """The type number and zone a panel event is logged with; ``known`` False for an unmapped code."""

    type_no: int
    zone: int
    description: str
    test_report: bool
    known: bool


def code(protocol: str, value: str) -> tuple[str, str]:
    """A protocol and code as stored, or InvalidInput naming what is wrong."""
    protocol = protocol.strip().lower()
    value = value.strip().upper()
    if protocol == SIA and _SIA_CODE.fullmatch(value):
        return protocol, value
    if protocol == CID and _CID_CODE.fullmatch(value):
        return protocol, value
    raise InvalidInput(
        f"{protocol[:10]!r} code {value[:10]!r}: use sia and a two-letter code (BA), or cid and a qualifier "
        "(1 event, 3 restore, 6 previous) with a three-digit event (1130)"
    )


def ensure_defaults(session: Session) -> int:
    """Seed the map with ``DEFAULTS`` when it is empty; returns how many codes were added."""
    if session.scalar(select(PanelEventCode.id).limit(1)) is not None:
        return 0
    for protocol, value, type_no, description, test_report in DEFAULTS:
        session.add(
            PanelEventCode(
                protocol=protocol,
                code=value,
                type_no=type_no,
                zone=None,
                description=description,
                test_report=test_report,
            )
        )
    session.flush()
    return len(DEFAULTS)


def set_code(
    session: Session,
    protocol: str,
    value: str,
    type_no: int,
    operator: str,
    *,
    zone: int | None = None,
    description: str = "",
    test_report: bool = False,
) -> PanelEventCode:
    """Map a panel event code to a type number (and a fixed zone, else the message's own)."""
    protocol, value = code(protocol, value)
    ensure_defaults(session)  # a first change must not keep the common codes from being seeded
    validation.number_in_range(type_no, "type number", 0, 65535)
    if zone is not None:
        validation.number_in_range(zone, "zone", 0, 65535)
    row = _find(session, protocol, value)
    if row is None:
        row = PanelEventCode(protocol=protocol, code=value)
        session.add(row)
    row.type_no, row.zone, row.test_report = type_no, zone, test_report
    row.description = validation.clipped(description, 100)
    session.flush()
    oplog.record(session, operator, "panel_event_code.set", f"{protocol} {value} -> {type_no}")
    return row


def remove_code(session: Session, protocol: str, value: str, operator: str) -> None:
    """Unmap a code: its events are logged as unmapped (type 0) from then on, never dropped."""
    protocol, value = code(protocol, value)
    ensure_defaults(session)
    row = _find(session, protocol, value)
    if row is None:
        raise InvalidInput(f"{protocol} code {value} is not mapped")
    session.delete(row)
    session.flush()
    oplog.record(session, operator, "panel_event_code.remove", f"{protocol} {value}")


def list_all(session: Session) -> list[PanelEventCode]:
    """The whole map, by protocol and code."""
    return list(
        session.scalars(select(PanelEventCode).order_by(PanelEventCode.protocol, PanelEventCode.code))
    )


def _find(session: Session, protocol: str, value: str) -> PanelEventCode | None:
    return session.scalar(
        select(PanelEventCode).where(PanelEventCode.protocol == protocol, PanelEventCode.code == value)
    )


def lookup(session: Session, protocol: str, value: str, zone: int) -> Mapped:
    """How the panel event ``value`` with the message's ``zone`` is logged.

    A Contact ID event reported again (qualifier 6) is mapped as the new event (1) unless mapped itself.
    """
    row = _find(session, protocol, value)
    if row is None and protocol == CID and value.startswith("6"):
        row = _find(session, protocol, "1" + value[1:])
    if row is None:
        return Mapped(UNMAPPED_TYPE_NO, zone, "unmapped", False, False)
    fixed = row.zone if row.zone is not None else zone
    return Mapped(row.type_no, fixed, row.description, row.test_report, True)


_CACHE_S = 2.0  # a change to the map reaches a running receiver within this
_cache: tuple[float, dict[tuple[str, str], Mapped]] = (0.0, {})
_cache_lock = threading.Lock()


def lookup_cached(session: Session, protocol: str, value: str, zone: int) -> Mapped:
    """``lookup`` from the whole map held in memory, read again at most every two seconds (the
    receiver maps every event; the map changes rarely)."""
    global _cache
    with _cache_lock:
        loaded_at, rows = _cache
        if time.monotonic() - loaded_at > _CACHE_S:
            rows = {(r.protocol, r.code): _mapped(r, None) for r in list_all(session)}
            _cache = (time.monotonic(), rows)
    found = rows.get((protocol, value))
    if found is None and protocol == CID and value.startswith("6"):
        found = rows.get((protocol, "1" + value[1:]))
    if found is None:
        return Mapped(UNMAPPED_TYPE_NO, zone, "unmapped", False, False)
    return (
        found if found.zone >= 0 else Mapped(found.type_no, zone, found.description, found.test_report, True)
    )


def _mapped(row: PanelEventCode, zone: int | None) -> Mapped:
    # A negative zone stands for "the message's own" in the cache.
    fixed = row.zone if row.zone is not None else (zone if zone is not None else -1)
    return Mapped(row.type_no, fixed, row.description, row.test_report, True)


def forget_cache() -> None:
    """Read the map again at the next event (tests change it between cases)."""
    global _cache
    with _cache_lock:
        _cache = (0.0, {})


# An event of a code nobody mapped is still logged (never dropped), under type 0, with its code in
# the memo, so staff see it and can map it.
UNMAPPED_TYPE_NO = 0
