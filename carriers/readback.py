"""Read-backs shared by the threads of a process: one carrier call confirms many SIMs' changes.

A status change is confirmed by reading the SIM back. In a bulk commissioning under the account's
calls-per-second limit that read-back would take every second call. So when calls queue for the
account's budget, the threads of a worker that wait to confirm changes on it share their reads: one of
them (the reader) makes one changes-since listing covering every change waiting, a page at a time,
while the others wait for its answer. The budget goes to the changes: about one call per commission
instead of two. Whoever starts waiting while that call waits for its slot is confirmed by it too when
its SIM shows in the answer, changed; otherwise it waits for the next read.

The search starts a second before the earliest waiting change's answer by the carrier's clock (the Date
of its answer), so skew between our clock and the carrier's does not matter, and its pages hold only
what changed on the account since then: they are proportional to the change rate, not to the fleet.
It stops paging once every waiting SIM is seen. A SIM the search does not show (its change did not move
its dateUpdated, say) is read directly, as is a change without a carrier time, and every change while
calls do not queue (there is no budget to save, and a direct read answers soonest): sharing never
leaves a change less confirmed than reading it alone would. On a platform that cannot list what
changed since a time (no Capability.CHANGES_SINCE), every read-back is direct.
"""

from __future__ import annotations

import copy
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from carriers.platform import Capability, Carrier, Platform
from carriers.pool import Pressure

# A change answered at carrier time t (whole seconds, rounded down) was made after t - 1 s, as long as
# the carrier took less than a second to answer the edit.
_WINDOW_MARGIN = timedelta(seconds=1)


def shows(
    carrier: Carrier,
    platform: Platform,
    iccid: str,
    wanted: str,
    changed_at: datetime | None,
    pressure: Pressure,
) -> bool:
    """Whether the carrier shows the SIM in status ``wanted`` now, after a change answered (by the
    carrier's clock) at ``changed_at``, on an account whose budget is under ``pressure``.

    Raises what the carrier call raised (every waiter of a failed shared read gets its error).
    """
    shared = Capability.CHANGES_SINCE in platform.capabilities
    if shared and changed_at is not None and pressure.queued:
        waiter = _Waiter(iccid, wanted, changed_at)
        seen = _shared(carrier).read(carrier, waiter, pressure.calls_per_second, platform.page_size)
        if seen is not None:
            return seen == wanted
    return carrier.get_sim(iccid).status == wanted


@dataclass
class _Waiter:
    iccid: str
    wanted: str
    changed_at: datetime
    taken: bool = False  # a read has its answer (or will have: it is in the read's batch)
    answered: threading.Event = field(default_factory=threading.Event)
    seen: str | None = None
    error: BaseException | None = None


class _SharedReads:
    """The read-backs waiting on one carrier account's connection. At most one read runs at a time;
    whoever arrives while it runs waits for the next, which covers everyone then waiting."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: list[_Waiter] = []
        self._reading = False

    def read(self, carrier: Carrier, waiter: _Waiter, calls_per_second: float, page_size: int) -> str | None:
        """The status a shared read saw for the waiter's SIM (None if it did not show the SIM)."""
        with self._changed:
            self._waiting.append(waiter)
            while self._reading and not waiter.taken:
                self._changed.wait()
            batch: list[_Waiter] = []
            if not waiter.taken:
                self._reading = True
                batch, self._waiting = self._waiting, []
                for member in batch:
                    member.taken = True
        if batch:
            self._read_for(carrier, batch, calls_per_second, page_size)
        waiter.answered.wait()
        if waiter.error is not None:
            # Each waiter raises its own copy: one exception raised in many threads would share (and
            # garble) one traceback.
            raise copy.copy(waiter.error)
        return waiter.seen

    def _read_for(
        self, carrier: Carrier, batch: list[_Waiter], calls_per_second: float, page_size: int
    ) -> None:
        seen: dict[str, str] = {}
        error: BaseException | None = None
        try:
            seen = _search(carrier, batch, page_size, self._unseen_newcomers)
        except Exception as exc:
            error = exc
        with self._changed:
            for waiter in batch:
                waiter.seen, waiter.error = seen.get(waiter.iccid), error
            # Those who came while the call waited: its answer settles them only if it shows their
            # change (it may have been sent before their change was made).
            settled = [waiter for waiter in self._waiting if seen.get(waiter.iccid) == waiter.wanted]
            for waiter in settled:
                waiter.seen, waiter.taken = waiter.wanted, True
            self._waiting = [waiter for waiter in self._waiting if not waiter.taken]
            self._reading = False
            self._changed.notify_all()  # the others elect the next reader
        _release([*batch, *settled], calls_per_second)

    def _unseen_newcomers(self, seen: dict[str, str]) -> bool:
        """Whether a change that came while the read ran is not shown yet (a further page may)."""
        with self._changed:
            return any(seen.get(waiter.iccid) != waiter.wanted for waiter in self._waiting)


def _release(waiters: list[_Waiter], calls_per_second: float) -> None:
    """Hand the waiters their answers, at twice the account's call rate.

    Released at once, the threads of a large batch would do their database work in lockstep (the
    interpreter shares its time fairly) and come back to the carrier together, leaving the account's
    budget unused meanwhile; released in turn, the first are back at the carrier while the others
    still work.
    """
    interval = 0.5 / calls_per_second
    try:
        for number, waiter in enumerate(waiters):
            if number:
                time.sleep(interval)
            waiter.answered.set()
    finally:
        for waiter in waiters:  # interrupted or not, nobody waits for ever
            waiter.answered.set()


def _search(
    carrier: Carrier,
    batch: list[_Waiter],
    page_size: int,
    unseen_newcomers: Callable[[dict[str, str]], bool],
) -> dict[str, str]:
    """Statuses of the batch's SIMs and whatever else one changes-since listing shows, paged until every SIM
    of the batch, and of those who came meanwhile, is seen (or the last page). A search even for one:
    it also answers whoever comes while it waits for its slot."""
    needed = {waiter.iccid for waiter in batch}
    since = min(waiter.changed_at for waiter in batch) - _WINDOW_MARGIN
    seen: dict[str, str] = {}
    for number, device in enumerate(carrier.changed_since(since), start=1):
        seen[device.iccid] = device.status
        needed.discard(device.iccid)
        # At the end of a page, fetch the next one only if someone still needs it.
        if number % page_size == 0 and not needed and not unseen_newcomers(seen):
            break
    return seen


_registry: weakref.WeakKeyDictionary[Carrier, _SharedReads] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _shared(carrier: Carrier) -> _SharedReads:
    with _registry_lock:
        shared = _registry.get(carrier)
        if shared is None:
            shared = _registry[carrier] = _SharedReads()
        return shared
