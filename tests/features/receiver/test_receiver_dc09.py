"""The receiver as a real process, with a real third-party transmitter (dc09-spt) over TCP and UDP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from centre import clients, seed
from centre.clients import ClientRef
from cli.processes import free_port, stop, wait_until
from features.receiver import accounts
from models import Client, Signal
from models.db import unit_of_work
from tests.features.receiver import dc09

pytestmark = pytest.mark.integration

KEY = "0123456789ABCDEF0123456789ABCDEF"
OPERATOR = "test"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def running_receiver(env: dict[str, str]) -> Iterator[int]:
    """``commissioner receiver`` as a child process, listening on a free port (TCP and UDP)."""
    port = free_port()
    args = [sys.executable, "-m", "cli", "receiver", "--port", str(port)]
    proc = subprocess.Popen(args, env={**os.environ, **env}, start_new_session=True)
    try:
        wait_until(lambda: proc.poll() is None and _listening(port), 30, "the receiver to listen")
        yield port
    finally:
        stop(proc)


@pytest.fixture
def receiver(database: str, env: dict[str, str]) -> Iterator[int]:
    """Two clients with receiver accounts (1234 plain, 5678 AES), and a receiver listening for them."""
    with unit_of_work() as session:
        seed.seed(session, OPERATOR)
        plain = clients.add(session, "PANEL1", "Plain panel", OPERATOR)
        aes = clients.add(session, "PANEL2", "Encrypted panel", OPERATOR)
        accounts.set_account(session, plain, "1234", OPERATOR, line_no=0)
        accounts.set_account(session, aes, "5678", OPERATOR, key=KEY)
    with running_receiver(env) as port:
        yield port


def _history(code: str) -> list[Signal]:
    with unit_of_work() as session:
        client = clients.find(session, ClientRef(code))
        return list(session.scalars(select(Signal).where(Signal.client_id == client.id).order_by(Signal.id)))


def test_panel_events_land_in_history_once_and_are_acknowledged_after(receiver: int) -> None:
    # SIA over TCP, unencrypted: burglary in zone 5.
    block = dc09.sia_block("1234", 1, "BA", 5)
    answer = dc09.send("127.0.0.1", receiver, block)
    assert answer is not None
    assert dc09.answer_kind("1234", 1, answer) == "ACK"
    # Acknowledged means stored: the signal is there the moment the ACK is.
    [burglary] = _history("PANEL1")
    assert (burglary.type_no, burglary.zone, burglary.source) == (130, 5, "Receiver")
    assert "SIA BA" in burglary.memo

    # The panel missed our ACK and sends the very same block again: acknowledged, logged once.
    again = dc09.send("127.0.0.1", receiver, block, protocol="udp")
    assert again is not None
    assert dc09.answer_kind("1234", 1, again) == "ACK"
    assert len(_history("PANEL1")) == 1

    # Contact ID over UDP, AES-encrypted: fire (qualifier 1, event 110) in zone 3, then AC lost over TCP.
    key = KEY.encode()
    fire = dc09.cid_block("5678", 2, 1, "110", 3, key=key)
    answer = dc09.send("127.0.0.1", receiver, fire, protocol="udp")
    assert answer is not None
    assert dc09.answer_kind("5678", 2, answer, key=key) == "ACK"
    ac_lost = dc09.sia_block("5678", 3, "AT", 0, key=key)
    answer = dc09.send("127.0.0.1", receiver, ac_lost)
    assert answer is not None
    assert dc09.answer_kind("5678", 3, answer, key=key) == "ACK"
    assert [(s.type_no, s.zone) for s in _history("PANEL2")] == [(110, 3), (301, 0)]
    # The encrypted block sent again (same sequence and timestamp) is logged once too.
    answer = dc09.send("127.0.0.1", receiver, fire)
    assert answer is not None
    assert dc09.answer_kind("5678", 2, answer, key=key) == "ACK"
    assert len(_history("PANEL2")) == 2


def test_unknown_accounts_get_nak_and_create_nothing(receiver: int) -> None:
    with unit_of_work() as session:
        before = session.scalar(select(func.count()).select_from(Client))
    for block, protocol in (
        (dc09.sia_block("9999", 1, "BA", 1), "tcp"),
        (dc09.sia_block("9999", 1, "BA", 1, key=KEY.encode()), "udp"),
        (dc09.sia_block("1234", 2, "BA", 1, line=7), "tcp"),  # line 7, but 1234 reports on line 0
        (b'\n0000001C"*SIA-DCS"0001L0#5678[ZZ\r', "tcp"),  # 5678's AES content is not even hex
    ):
        answer = dc09.send("127.0.0.1", receiver, block, protocol=protocol)
        assert answer is not None
        assert dc09.answer_kind("9999", 1, answer) == "NAK"
    with unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Client)) == before
        assert (
            session.scalar(select(func.count()).select_from(Signal).where(Signal.source == "Receiver")) == 0
        )
