"""The receiver process: SIA DC-09 over TCP and UDP, parsed and checked by pysiaalarm.

pysiaalarm's own servers answer before they hand an event on; a centre must not acknowledge what it
has not stored, so this module uses pysiaalarm for what it does well (framing, CRC, AES, timestamps,
SIA and Contact ID codes, the ACK/NAK/DUH blocks) and answers only after ``store.record`` committed:

- a well-formed event of a known account: stored (once; a repeat is acknowledged, not stored again),
  then ACK. If it cannot be stored, no answer: the panel sends it again.
- an unknown account (or a receiver/line number that does not match): NAK, counted and logged.
- an unknown code: DUH; a timestamp out of the band: NAK; a bad CRC: no answer (pysiaalarm's rules).
- a NULL message (link supervision): ACK, nothing stored.

Database work runs on a small thread pool; the event loop only reads, parses and answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from pysiaalarm.account import SIAAccount
from pysiaalarm.base_server import BaseSIAServer
from pysiaalarm.event import NAKEvent, OHEvent, SIAEvent
from pysiaalarm.utils.counter import Counter as SiaCounter
from pysiaalarm.utils.enums import MessageTypes, ResponseType

from features.receiver import accounts, mapping, store
from features.receiver.accounts import Listening
from features.receiver.store import PanelEvent
from models.db import unit_of_work

log = logging.getLogger(__name__)

REFRESH_S = 2.0  # how soon a new or changed receiver account is heard
# Batches stored at once. Two keep the database busy (one batch commits while the next is built) and
# let the events that arrive meanwhile gather into the next batch: a batch costs about the same few
# statements whatever its size, so on two cores 8 writers of small batches stored 330 events/s where
# 2 writers of larger ones stored 900 (bench/receiver.py).
WRITERS = 2
PRUNE_EVERY_S = 300.0
DEDUP_WINDOW_S = 86_400.0  # a panel repeats a message within minutes; a sequence number wraps after 9999
MAX_FRAME = 1024


@dataclass
class Stats:
    """What the receiver counted since it started (logged every minute, and on exit)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, what: str) -> None:
        self.counts[what] += 1


class Receiver:
    """Parses, checks, stores and answers DC-09 messages; shared by the TCP and UDP listeners."""

    def __init__(self, threads: int = 8, writers: int = WRITERS) -> None:
        self.parser = BaseSIAServer({}, SiaCounter())
        self.known: dict[str, Listening] = {}
        self.stats = Stats()
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="receiver-store")
        self._loaded_at = 0.0
        self._locks: dict[int, asyncio.Lock] = {}
        self.batcher = Batcher(self.pool)
        self.writers = min(writers, threads)

    # -- accounts ----------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the receiver accounts again (blocking: call from a thread or before serving)."""
        opened = {a.sealed_key: a.key for a in self.known.values() if a.sealed_key and a.key}
        with unit_of_work() as session:
            found = accounts.listening(session, opened)
        self.known = {a.account: a for a in found}
        self.parser.accounts = {a.account: SIAAccount(a.account, a.key) for a in found}
        self._loaded_at = time.monotonic()

    async def refresh(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.pool, self.load)

    async def refresh_forever(self) -> None:
        last_prune = 0.0
        while True:
            await asyncio.sleep(REFRESH_S)
            try:
                await self.refresh()
                if time.monotonic() - last_prune > PRUNE_EVERY_S:
                    last_prune = time.monotonic()
                    pruned = await asyncio.get_running_loop().run_in_executor(
                        self.pool, store.prune, DEDUP_WINDOW_S
                    )
                    log.debug("pruned %d stored messages", pruned)
            except Exception:  # the database may be away a while: keep the accounts we have
                log.exception("receiver: reading the receiver accounts failed")

    # -- one message -------------------------------------------------------------------------------

    async def answer(self, frame: bytes) -> bytes | None:
        """The answer to one DC-09 block, after storing it if it is an event; None: no answer."""
        event = self._parse(frame)
        if _unknown_account(event) and time.monotonic() - self._loaded_at > 1.0:
            # An account we did not know a moment ago may have been added since: read them again once.
            await self.refresh()
            event = self._parse(frame)
        if event is None:
            return None
        if isinstance(event, NAKEvent):
            self.stats.add("unknown account or bad format")
            return event.create_response()
        assert isinstance(event, SIAEvent)
        return await self._answer_event(event)

    def _parse(self, frame: bytes) -> SIAEvent | NAKEvent | None:
        try:
            return self.parser.parse_and_check_event(frame)
        except Exception as exc:  # pysiaalarm lets some malformed blocks through (bad hex in AES content)
            self.stats.add("unreadable")
            log.warning("receiver: NAK to an unreadable block (%s)", type(exc).__name__)
            return NAKEvent()

    async def _answer_event(self, event: SIAEvent) -> bytes | None:
        event.receiver = event.receiver or ""  # echoed in the answer as sent (pysiaalarm would say None)
        listening = self.known.get(event.account or "")
        if event.sia_account is None or listening is None or not _same_path(event, listening):
            self.stats.add("unknown account")
            log.warning(
                "receiver: NAK to unknown account %r (receiver %s, line %s)",
                event.account,
                event.receiver,
                event.line,
            )
            return NAKEvent().create_response()
        response = event.response
        if response is None:
            self.stats.add("bad crc")
            return None
        if response not in (ResponseType.ACK, ResponseType.RSP):
            self.stats.add(f"answered {response.value}")
            return event.create_response()
        if event.message_type == MessageTypes.NULL:
            self.stats.add("supervision")
            return event.create_response()
        return await self._store_then_ack(event, listening)

    async def _store_then_ack(self, event: SIAEvent, listening: Listening) -> bytes | None:
        lock = self._locks.setdefault(listening.id, asyncio.Lock())
        async with lock:  # one account's messages in order, and a repeat never races its original
            result = await self.batcher.submit(_panel_event(event, listening))
        self.stats.add(result)
        if result == store.GONE:
            return NAKEvent().create_response()
        if result == store.FAILED:
            return None  # not stored: not acknowledged, so the panel sends it again
        return event.create_response()


class Batcher:
    """Group commit: events that arrive while the writers are busy are stored together, in one
    transaction, and each is acknowledged once that transaction committed. At low load a batch is
    one event (nothing waits for company); under load many panels share a commit."""

    def __init__(self, pool: ThreadPoolExecutor, max_batch: int = 64) -> None:
        self.pool = pool
        self.max_batch = max_batch
        self.queue: asyncio.Queue[tuple[PanelEvent, asyncio.Future[str]]] = asyncio.Queue()

    async def submit(self, event: PanelEvent) -> str:
        """Store ``event`` with whatever else is waiting; store.STORED, REPEAT, GONE or FAILED."""
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        await self.queue.put((event, done))
        return await done

    async def write_forever(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            events = [event for event, _ in batch]
            try:
                results = await asyncio.get_running_loop().run_in_executor(
                    self.pool, store.record_many, events
                )
            except Exception:  # record_many reports per event; this is a bug, and nothing was ACKed
                log.exception("receiver: storing a batch of %d events failed", len(batch))
                results = [store.FAILED] * len(batch)
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)


def _unknown_account(event: object) -> bool:
    # pysiaalarm refuses an encrypted message of an unknown account outright (NAKEvent).
    if isinstance(event, NAKEvent):
        return True
    return isinstance(event, SIAEvent) and not isinstance(event, OHEvent) and event.sia_account is None


def _same_path(event: SIAEvent, listening: Listening) -> bool:
    """The receiver and line numbers, where the account names them, must be the ones sent."""
    pairs = (
        (listening.receiver_no, _hex_field(event.receiver, "R")),
        (listening.line_no, _hex_field(event.line, "L")),
    )
    return all(wanted is None or wanted == sent for wanted, sent in pairs)


def _hex_field(value: str | None, prefix: str) -> int | None:
    if not value or not value.startswith(prefix):
        return None
    try:
        return int(value[1:], 16)
    except ValueError:
        return None


def _panel_event(event: SIAEvent, listening: Listening) -> PanelEvent:
    sent = event.timestamp
    timestamp = sent.isoformat() if isinstance(sent, datetime) else str(sent or "")
    if event.message_type == MessageTypes.ADMCID:
        code = f"{event.event_qualifier}{event.event_type}"
        zone = _number(event.ri)
        text = f"partition {event.partition}" if event.partition else ""
        return PanelEvent(listening.id, mapping.CID, code, zone, text, event.sequence or "", timestamp)
    zone = _number(_leading_digits(event.message or ""))
    text = " ".join(part for part in (f"area {event.ri}" if event.ri else "", event.message or "") if part)
    return PanelEvent(
        listening.id, mapping.SIA, event.code or "", zone, text.strip(), event.sequence or "", timestamp
    )


def _leading_digits(text: str) -> str:
    digits = ""
    for char in text:
        if not char.isdigit():
            break
        digits += char
    return digits


def _number(text: str | None) -> int:
    try:
        return min(int(text or "0"), 65535)
    except ValueError:
        return 0


# -- the listeners --------------------------------------------------------------------------------

IDLE_S = 300.0  # a TCP connection that sends nothing this long is closed (panels reconnect)


async def _tcp(receiver: Receiver, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    buffer = b""
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(MAX_FRAME), IDLE_S)
            if not chunk:
                break
            buffer += chunk
            # A DC-09 block ends with CR; a read may hold part of one, or several.
            *frames, buffer = buffer.split(b"\r")
            if len(buffer) > MAX_FRAME:
                receiver.stats.add("oversized")
                break
            for frame in frames:
                reply = await receiver.answer(frame + b"\r")
                if reply:
                    writer.write(reply)
                    await writer.drain()
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(data[: MAX_FRAME * 2], addr))
        self.pending.add(task)  # keep a reference until it is done
        task.add_done_callback(self.pending.discard)

    async def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.receiver.answer(data)
        if reply and self.transport is not None:
            self.transport.sendto(reply, addr)


async def serve(
    host: str, port: int, stop: asyncio.Event, threads: int = 8, writers: int = WRITERS
) -> Receiver:
    """Listen on ``host``:``port`` over TCP and UDP until ``stop`` is set, storing events with
    ``writers`` of the ``threads`` database threads at once; returns the receiver."""
    receiver = Receiver(threads, writers)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(receiver.pool, _prepare, receiver)
    tcp = await asyncio.start_server(lambda r, w: _tcp(receiver, r, w), host, port)
    udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(receiver), local_addr=(host, port))
    refresher = loop.create_task(receiver.refresh_forever())
    storing = [loop.create_task(receiver.batcher.write_forever()) for _ in range(receiver.writers)]
    log.info(
        "receiver listening for SIA DC-09 on %s:%d (TCP and UDP), %d accounts",
        host,
        port,
        len(receiver.known),
    )
    try:
        await stop.wait()
    finally:
        refresher.cancel()
        for task in storing:
            task.cancel()
        tcp.close()
        udp.close()
        await tcp.wait_closed()
        receiver.pool.shutdown(wait=True)
        log.info("receiver stopped: %s", dict(receiver.stats.counts))
    return receiver


def _prepare(receiver: Receiver) -> None:
    with unit_of_work() as session:
        seeded = mapping.ensure_defaults(session)
    if seeded:
        log.info("receiver: the panel event map was empty; seeded %d common codes", seeded)
    receiver.load()
