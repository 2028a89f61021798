"""The real simulator over HTTP: uvicorn in a background thread on a free 127.0.0.1 port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from carriers.control_center_rest import codes
from simulator import SimulatorConfig
from simulator.server import make_server

ICCID = "8988216716970004975"
AUTH = ("demo", "secret")
NO_FAULTS = {"latency_ms": 0, "fail_rate": 0, "timeout_rate": 0, "down": False, "rate_limit": 0}


@dataclass
class Running:
    base_url: str
    client: httpx.Client

    def admin(self, method: str, path: str, json: object = None) -> httpx.Response:
        response = self.client.request(method, f"{self.base_url}/_admin{path}", json=json)
        response.raise_for_status()
        return response


def wait_until_answering(url: str, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, auth=AUTH, timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.01)  # a poll interval, not a wait for work
    raise TimeoutError(f"the simulator did not answer {url} within {deadline_s} s")


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    config = SimulatorConfig(*AUTH, sims=[{"iccid": ICCID, "status": "ACTIVATION_READY"}], seed=1)
    # Bind first and hand the socket over: the port is ours from the start, no race for it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = make_server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until_answering(f"{base_url}/rws/api/v1/echo/ready", deadline_s=10)
        with httpx.Client(auth=AUTH, timeout=5) as client:
            yield Running(base_url, client)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive()


@pytest.fixture
def sim(running: Running) -> Running:
    """The module's server, with no faults and only its configured SIM."""
    running.admin("PUT", "/faults", json=NO_FAULTS)
    running.admin("POST", "/reset")
    return running


def test_authentication(sim: Running) -> None:
    url = f"{sim.base_url}/rws/api/v1/echo/hi"
    anonymous = httpx.get(url)
    assert anonymous.status_code == 401
    assert "errorCode" not in anonymous.json()
    wrong = httpx.get(url, auth=("demo", "nope"))
    assert (wrong.status_code, wrong.json()["errorCode"]) == (401, codes.INVALID_CREDENTIALS)
    assert sim.client.get(url).json() == {"param": "hi"}


def test_put_get_round_trip(sim: Running) -> None:
    url = f"{sim.base_url}/rws/api/v1/devices/{ICCID}"
    put = sim.client.put(url, json={"status": "ACTIVATED"})
    assert (put.status_code, put.json()) == (200, {"iccid": ICCID})
    device = sim.client.get(url).json()
    assert device["status"] == "ACTIVATED"
    assert device["dateActivated"] is not None


def test_rate_limit_is_answered_under_load(sim: Running) -> None:
    sim.admin("PUT", "/faults", json={"rate_limit": 2})
    url = f"{sim.base_url}/rws/api/v1/devices/{ICCID}"

    async def burst() -> tuple[list[httpx.Response], float]:
        async with httpx.AsyncClient(auth=AUTH, timeout=5) as client:
            started = time.monotonic()
            answers = await asyncio.gather(*(client.get(url) for _ in range(20)))
            return answers, time.monotonic() - started

    # In a thread of its own: another test's Playwright may still hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        answers, elapsed = pool.submit(asyncio.run, burst()).result()
    ok = [r for r in answers if r.status_code == 200]
    limited = [r for r in answers if r.status_code != 200]
    assert ok
    assert limited
    entry = codes.ERROR_CODES[codes.RATE_LIMIT_EXCEEDED]
    assert {(r.status_code, r.json()["errorCode"]) for r in limited} == {(entry.http_status, entry.code)}
    windows = int(elapsed) + 2  # the burst can straddle window boundaries
    assert len(ok) <= 2 * windows
    logged = sim.admin("GET", "/calls").json()["calls"]
    assert sum(call["errorCode"] == entry.code for call in logged) == len(limited)


def test_latency_switch(sim: Running) -> None:
    url = f"{sim.base_url}/rws/api/v1/echo/timing"

    def timed() -> float:
        started = time.monotonic()
        assert sim.client.get(url).status_code == 200
        return time.monotonic() - started

    timed()  # warm the connection
    sim.admin("PUT", "/faults", json={"latency_ms": 300})
    assert timed() >= 0.3
    sim.admin("PUT", "/faults", json={"latency_ms": 0})
    assert timed() < 0.2


def test_a_hanging_call_times_out_the_client(sim: Running) -> None:
    sim.admin("PUT", "/faults", json={"timeout_rate": 1, "hang_seconds": 0.5})
    with pytest.raises(httpx.ReadTimeout):
        sim.client.get(f"{sim.base_url}/rws/api/v1/echo/hang", timeout=0.1)
    sim.admin("PUT", "/faults", json={"timeout_rate": 0})
    assert sim.client.get(f"{sim.base_url}/rws/api/v1/echo/after").status_code == 200
