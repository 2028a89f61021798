"""Read-backs shared by the threads of a process: one carrier call confirms many SIMs' changes.

A status change is confirmed by reading the SIM back. In a bulk commissioning under the account's
calls-per-second limit that read-back would take every second call. Here, the threads of a worker that
wait to confirm changes on one carrier account share their reads: one of them (the reader) makes one
Search Devices call covering every change waiting, up to 50 SIMs a page, while the others wait for its
answer. The budget goes to the changes: about one call per commission instead of two.

The search starts a second before the earliest waiting change's answer by the carrier's clock (the Date
of its answer), so skew between our clock and the carrier's does not matter, and its pages hold only
what changed on the account since then: they are proportional to the change rate, not to the fleet.
It stops paging once every waiting SIM is seen. A SIM the search does not show (its change did not move
its dateUpdated, say) is read directly, as is a lone waiter and a change without a carrier time:
sharing never leaves a change less confirmed than reading it alone would.
"""

from __future__ import annotations

import copy
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from worker.carriers.jasper import JasperClient

# A change answered at carrier time t (whole seconds, rounded down) was made after t - 1 s, as long as
# the carrier took less than a second to answer the edit.
_WINDOW_MARGIN = timedelta(seconds=1)


def status(client: JasperClient, iccid: str, changed_at: datetime | None) -> str:
    """The SIM's status as the carrier shows it now, for a change answered at ``changed_at``.

    Raises what the carrier call raised (every waiter of a failed shared read gets its error).
    """
    if changed_at is not None:
        seen = _shared(client).read(client, iccid, changed_at)
        if seen is not None:
            return seen
    return client.get_device(iccid).status


@dataclass
class _Waiter:
    iccid: str
    changed_at: datetime
    done: bool = False
    seen: str | None = None
    error: BaseException | None = None


class _SharedReads:
    """The read-backs waiting on one carrier client. At most one read runs at a time; whoever arrives
    while it runs waits for the next, which covers everyone then waiting."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: list[_Waiter] = []
        self._reading = False

    def read(self, client: JasperClient, iccid: str, changed_at: datetime) -> str | None:
        """The status a shared read saw for ``iccid`` (None if it did not show the SIM)."""
        waiter = _Waiter(iccid, changed_at)
        with self._changed:
            self._waiting.append(waiter)
            while self._reading and not waiter.done:
                self._changed.wait()
            if not waiter.done:
                self._reading = True
                batch, self._waiting = self._waiting, []
        if not waiter.done:
            self._read_for(client, batch)
        if waiter.error is not None:
            # Each waiter raises its own copy: one exception raised in many threads would share (and
            # garble) one traceback.
            raise copy.copy(waiter.error)
        return waiter.seen

    def _read_for(self, client: JasperClient, batch: list[_Waiter]) -> None:
        seen: dict[str, str] = {}
        error: BaseException | None = None
        try:
            seen = _search(client, batch)
        except Exception as exc:
            error = exc
        with self._changed:
            for waiter in batch:
                waiter.seen, waiter.error, waiter.done = seen.get(waiter.iccid), error, True
            self._reading = False
            self._changed.notify_all()


def _search(client: JasperClient, batch: list[_Waiter]) -> dict[str, str]:
    """Statuses of the batch's SIMs: Get Device Details for one, else one Search Devices."""
    if len(batch) == 1:
        return {batch[0].iccid: client.get_device(batch[0].iccid).status}
    wanted = {waiter.iccid for waiter in batch}
    since = min(waiter.changed_at for waiter in batch) - _WINDOW_MARGIN
    seen: dict[str, str] = {}
    for device in client.search_devices(since):
        if device.iccid in wanted:
            seen[device.iccid] = device.status
            if len(seen) == len(wanted):
                break  # no further page needed
    return seen


_registry: weakref.WeakKeyDictionary[JasperClient, _SharedReads] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _shared(client: JasperClient) -> _SharedReads:
    with _registry_lock:
        shared = _registry.get(client)
        if shared is None:
            shared = _registry[client] = _SharedReads()
        return shared
