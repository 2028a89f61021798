"""``python -m bench.receiver``: the SIA DC-09 receiver on the hot path, against a floor of the same run.

On a private, durable PostgreSQL cluster (bench/servers.py), three figures from the same number of
connections, in one run:

- **floor**: one ``INSERT`` into ``signal`` and one ``COMMIT`` per signal, straight through psycopg;
- **pipeline**: ``log_signal`` per signal in its own unit of work (signals that trigger nothing);
- **receiver**: DC-09 events per second from many simulated panels (dc09-spt's blocks over TCP, each
  panel waiting for its ACK as panels do) through ``commissioner receiver`` into the history, then the
  ACK latency at a fixed offered rate (default 200 events/s).

Prints the figures and writes ``receiver-results.json`` into ``--output-dir``.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click
import psycopg
from cryptography.fernet import Fernet
from dc09_spt.msg.dc03_msg import dc03_msg
from dc09_spt.msg.dc09_msg import dc09_msg

import migrations
from bench.servers import Postgres, commissioner_process, private_directory
from centre import clients, seed
from cli.processes import free_port, stop, wait_until
from features.receiver import accounts, mapping, server
from models import Client, SignalSource
from models.db import unit_of_work
from pipeline import signals

OPERATOR = "bench"


def _timed(count: int, connections: int, one: Callable[[int], None]) -> float:
    """Run ``one(i)`` for i < count on ``connections`` threads; events per second."""
    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - started)


def floor(dsn: str, client_id: int, count: int, connections: int) -> float:
    """One INSERT and one COMMIT per signal, ``connections`` connections at once."""
    local = threading.local()

    def one(i: int) -> None:
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(dsn)
        local.conn.execute(
            "INSERT INTO signal (client_id, received_at, type_no, zone, description, source, memo, depth) "
            "VALUES (%s, now(), 130, %s, 'Burglary alarm', 'Receiver', 'floor', 0)",
            (client_id, i % 100),
        )
        local.conn.commit()

    return _timed(count, connections, one)


def pipeline(client_ids: list[int], count: int, connections: int) -> float:
    """``log_signal`` per signal, one unit of work each (type 130 fires nothing here)."""

    def one(i: int) -> None:
        with unit_of_work() as session:
            client = session.get(Client, client_ids[i % len(client_ids)])
            assert client is not None
            signals.log_signal(session, client, 130, zone=i % 100, memo="bench", source=SignalSource.RECEIVER)

    return _timed(count, connections, one)


def _block(account: str, number: int, zone: int) -> bytes:
    # pysiaalarm reads the sequence as four decimal digits; dc09-spt writes it in hex: pick numbers
    # whose hex form is decimal digits.
    msg_nr = int(str(number % 9999 + 1), 16)
    payload = dc03_msg.dc03event(account, {"code": "BA", "zone": str(zone)})
    return str(dc09_msg(account, None, None, 0).dc09block(msg_nr, "SIA-DCS", payload)).encode()


class Panel:
    """One simulated panel on one TCP connection: sends a block, waits for the ACK."""

    def __init__(self, port: int, account: str) -> None:
        self.account = account
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sent = 0

    def send(self) -> float:
        """Send the next event; the ACK latency in seconds."""
        self.sent += 1
        block = _block(self.account, self.sent, self.sent % 100)
        started = time.perf_counter()
        self.sock.sendall(block)
        answer = b""
        while not answer.endswith(b"\r"):
            chunk = self.sock.recv(1024)
            if not chunk:
                raise ConnectionError("the receiver closed the connection")
            answer += chunk
        if b'"ACK"' not in answer:
            raise RuntimeError(f"panel {self.account}: {answer!r}")
        return time.perf_counter() - started

    def close(self) -> None:
        self.sock.close()


def burst(panels: list[Panel], per_panel: int) -> tuple[float, list[float]]:
    """Every panel sends ``per_panel`` events back to back: events/s and the ACK latencies."""
    latencies: list[float] = []
    lock = threading.Lock()

    def run(panel: Panel) -> None:
        mine = [panel.send() for _ in range(per_panel)]
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(panels)) as pool:
        list(pool.map(run, panels))
    return len(panels) * per_panel / (time.perf_counter() - started), latencies


def paced(panels: list[Panel], rate: float, seconds: float) -> list[float]:
    """Events offered at ``rate`` per second over ``seconds``, round robin over the panels."""
    total = int(rate * seconds)
    latencies: list[float] = []
    locks = [threading.Lock() for _ in panels]
    start = time.perf_counter() + 0.2

    def one(i: int) -> None:
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        with locks[i % len(panels)]:  # a panel waits for its ACK before its next event
            latencies.append(panels[i % len(panels)].send())

    with ThreadPoolExecutor(min(64, len(panels))) as pool:
        list(pool.map(one, range(total)))
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def _prepare(panels: int) -> list[int]:
    with unit_of_work() as session:
        seed.seed(session, OPERATOR)
        mapping.ensure_defaults(session)
        ids = []
        for n in range(panels):
            client = clients.add(session, f"BENCH{n}", f"Panel {n}", OPERATOR)
            accounts.set_account(session, client, f"{0xA000 + n:X}", OPERATOR, line_no=0)
            ids.append(client.id)
        return ids


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def measure(count: int, connections: int, panel_count: int, rate: float, seconds: float) -> dict[str, Any]:
    directory = private_directory("commissioner-bench-receiver-")
    postgres = Postgres(directory)
    postgres.init()
    postgres.start()
    try:
        postgres.create_database("commissioner")
        env = {
            "COMMISSIONER_DATABASE_URL": postgres.url_for("commissioner"),
            "COMMISSIONER_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "COMMISSIONER_WEB_SECRET": Fernet.generate_key().decode(),
            "COMMISSIONER_DATA_DIR": str(directory / "data"),
            "COMMISSIONER_LOG_LEVEL": "WARNING",
        }
        with commissioner_process(env):
            migrations.upgrade()
            client_ids = _prepare(panel_count)
            dsn = f"postgresql://postgres@127.0.0.1:{postgres.port}/commissioner"
            floor(dsn, client_ids[0], count // 10, connections)  # warm-up
            results: dict[str, Any] = {"floor_per_s": floor(dsn, client_ids[0], count, connections)}
            pipeline(client_ids, count // 10, connections)  # warm-up: caches, connection pool
            results["pipeline_per_s"] = pipeline(client_ids, count, connections)
            results.update(_receiver(env, panel_count, count, connections, rate, seconds))
    finally:
        postgres.close()
    results["pipeline_vs_floor"] = results["pipeline_per_s"] / results["floor_per_s"]
    results["receiver_vs_floor"] = results["receiver_per_s"] / results["floor_per_s"]
    results["parameters"] = {
        "signals": count,
        "connections": connections,
        "panels": panel_count,
        "rate_per_s": rate,
        "paced_s": seconds,
        "cpu_count": os.cpu_count(),
    }
    return results


def _receiver(
    env: dict[str, str], panel_count: int, count: int, connections: int, rate: float, seconds: float
) -> dict[str, Any]:
    port = free_port()
    writers = min(connections, server.WRITERS)  # the receiver's default, within the connections
    args = [sys.executable, "-m", "cli", "receiver", "--port", str(port), "--threads", str(connections)]
    args += ["--writers", str(writers)]
    proc = subprocess.Popen(args, env={**os.environ, **env}, start_new_session=True)  # noqa: S603 - our own program
    try:
        wait_until(lambda: proc.poll() is None and _listening(port), 30, "the receiver to listen")
        panels = [Panel(port, f"{0xA000 + n:X}") for n in range(panel_count)]
        burst(panels, max(1, count // 10 // panel_count))  # warm-up
        per_s, burst_latencies = burst(panels, max(1, count // panel_count))
        steady = paced(panels, rate, seconds)
        for panel in panels:
            panel.close()
    finally:
        stop(proc)
    return {
        "receiver_per_s": per_s,
        "burst_ack_p50_ms": percentile(burst_latencies, 0.5),
        "burst_ack_p99_ms": percentile(burst_latencies, 0.99),
        "paced_ack_p50_ms": percentile(steady, 0.5),
        "paced_ack_p99_ms": percentile(steady, 0.99),
        "paced_ack_mean_ms": statistics.fmean(steady) * 1000,
    }


@click.command()
@click.option(
    "-n", "count", type=click.IntRange(10), default=2000, show_default=True, help="Signals per figure."
)
@click.option("--connections", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--panels", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--rate", type=click.FloatRange(1), default=200.0, show_default=True, help="Paced events/s.")
@click.option(
    "--seconds", type=click.FloatRange(1), default=10.0, show_default=True, help="Paced run length."
)
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("bench"))
def main(count: int, connections: int, panels: int, rate: float, seconds: float, output_dir: Path) -> None:
    """Measure the receiver and the signal pipeline against the floor of the same run."""
    results = measure(count, connections, panels, rate, seconds)
    for name, value in results.items():
        click.echo(
            f"receiver.{name} = {value:.3f}" if isinstance(value, float) else f"receiver.{name} = {value}"
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "receiver-results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
