"""A real third-party DC-09 transmitter for the tests: dc09-spt (jvanovost/dc09_spt), as published.

Its blocks, payloads (SIA DC-03, Contact ID DC-05), transports and answer check are used unchanged.
One adaptation: dc09-spt was written for pycrypto, which no longer builds; with pycryptodome (the same
``Crypto`` package) its AES code passes a str IV and str plaintext, which pycryptodome refuses. The
subclass below gives them as bytes, nothing else.
"""

from __future__ import annotations

import datetime
import random

from Crypto.Cipher import AES
from dc09_spt.comm.transpath import TransPath
from dc09_spt.msg.dc03_msg import dc03_msg
from dc09_spt.msg.dc05_msg import dc05_msg
from dc09_spt.msg.dc09_msg import dc09_msg

_IV = bytes(16)


class Dc09Message(dc09_msg):  # type: ignore[misc]
    def dc09crypt(self, data: str) -> bytes:
        # dc09_msg.dc09crypt as published (random padding, data, timestamp), in bytes for pycryptodome.
        crypt = ""
        pad = (len(data) + 21) % 16
        for _ in range(0, 17 - pad):
            rnd = "["
            while rnd in ("[", "]", "|"):
                rnd = chr(random.randint(20, 125))
            crypt += rnd
        now = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=self.offset)
        crypt += data + f"_{now:%H:%M:%S,%m-%d-%Y}"
        return bytes(AES.new(self.key, AES.MODE_CBC, _IV).encrypt(crypt.encode("latin-1")))

    def dc09decrypt(self, data: bytes) -> bytes:
        return bytes(AES.new(self.key, AES.MODE_CBC, _IV).decrypt(data))


def sia_block(
    account: str, msg_nr: int, code: str, zone: int, *, key: bytes | None = None, line: int = 0
) -> bytes:
    payload = dc03_msg.dc03event(account, {"code": code, "zone": str(zone)})
    return str(Dc09Message(account, key, None, line).dc09block(msg_nr, "SIA-DCS", payload)).encode()


def cid_block(
    account: str,
    msg_nr: int,
    qualifier: int,
    code: str,
    zone: int,
    *,
    key: bytes | None = None,
    line: int = 0,
) -> bytes:
    payload = dc05_msg.dc05event(account, {"q": str(qualifier), "code": code, "zone": str(zone), "area": "1"})
    return str(Dc09Message(account, key, None, line).dc09block(msg_nr, "ADM-CID", payload)).encode()


def send(host: str, port: int, block: bytes, *, protocol: str = "tcp") -> bytes | None:
    """Send one block over dc09-spt's own transport and return the receiver's answer (None: none)."""
    path = TransPath(host, port, "0000", type=protocol, timeout=5.0)
    connection = path.connect()
    try:
        answer: bytes | None = connection.sendAndReceive(block, 1024)
        return answer
    finally:
        path.disconnect(connection)


def answer_kind(account: str, msg_nr: int, answer: bytes, *, key: bytes | None = None) -> str:
    """'ACK', 'NAK', 'DUH' or 'RSP', as dc09-spt checks an answer (length, CRC, message number)."""
    kind, _offset = Dc09Message(account, key).dc09answer(msg_nr, answer.decode())
    return str(kind)
