"""Carrier answers are bounded: a total deadline and a size, and a cut answer is transient.

Before, a 200 MB answer took the web process from 180 to 558 MB, a trickling carrier kept a 5 s Test
connection running at 25 s, and a read-back whose 200 answer was cut became a final failure although
the SIM had been activated."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from carriers.control_center_rest.client import ControlCenterApi
from carriers.errors import CarrierRejected, CarrierUnavailable

ICCID = "89882167169700000017"


def _api(
    transport: httpx.BaseTransport | None = None, url: str = "https://cc.test/rws/api/v1", **kw: float
) -> ControlCenterApi:
    return ControlCenterApi(url, "u", "k", transport=transport, **kw)  # type: ignore[arg-type]


def _answer(response: httpx.Response) -> httpx.MockTransport:
    return httpx.MockTransport(lambda _request: response)


@pytest.fixture
def trickling() -> Iterator[str]:
    """A server that sends a 200 and then its body one byte every 0.2 s, for ever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            )
            while not stop.is_set():
                try:
                    conn.sendall(b" ")
                except OSError:
                    return
                time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/rws/api/v1"
    stop.set()
    server.close()
    thread.join(5)


def test_a_trickling_answer_ends_at_the_deadline(trickling: str) -> None:
    api = _api(url=trickling, timeout=5.0, deadline_s=1.0)
    started = time.monotonic()
    with pytest.raises(CarrierUnavailable, match="timed out"):
        api.get_sim(ICCID)
    assert time.monotonic() - started < 2.5  # each byte came within the 5 s read timeout
    api.close()


def test_an_answer_over_the_size_cap_is_not_read(tmp_path: object) -> None:
    big = httpx.Response(
        200, content=b"[" + b"0," * 100_000 + b"0]", headers={"Content-Type": "application/json"}
    )
    api = _api(_answer(big), max_answer_bytes=64 * 1024)
    with pytest.raises(CarrierUnavailable, match="larger than 64 KB"):
        api.get_sim(ICCID)
    streamed = httpx.Response(200, stream=httpx.ByteStream(b"x" * 200_000))  # no Content-Length
    with pytest.raises(CarrierUnavailable, match="larger than 64 KB"):
        _api(_answer(streamed), max_answer_bytes=64 * 1024).get_sim(ICCID)


@pytest.mark.parametrize("body", [b'{"iccid": "8988216716970000001", "status": "ACTIV', b""])
def test_a_cut_or_empty_json_answer_is_transient(body: bytes) -> None:
    cut = httpx.Response(200, content=body, headers={"Content-Type": "application/json;charset=UTF-8"})
    with pytest.raises(CarrierUnavailable, match="cut off or unreadable") as raised:
        _api(_answer(cut)).get_sim(ICCID)
    assert raised.value.http_status == 200


def test_a_web_page_for_an_answer_is_final_it_is_the_wrong_address() -> None:
    page = httpx.Response(200, text="<html>Log in</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(CarrierRejected, match="not what Control Center sends"):
        _api(_answer(page)).get_sim(ICCID)
