"""What the benchmark reads from /proc: process trees, their memory (RSS, PSS) and CPU time, sampled
in a background thread while a scenario runs. Linux only."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its closing one.
    return raw[raw.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (that are alive now), from /proc/PID/task/TID/children."""
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        try:
            threads = list((PROC / str(pid) / "task").iterdir())
        except OSError:
            continue
        for thread in threads:
            try:
                todo.extend(int(child) for child in (thread / "children").read_text().split())
            except OSError:
                continue
    return tree


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` (0 if it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / _TICKS


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of ``pid`` in kB; PSS shares pages among the processes that map them."""
    rss = pss = 0
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        return 0, 0
    return rss, pss


@dataclass
class Usage:
    """What a sampler saw of one process group between start and stop."""

    cpu_s: float = 0.0
    peak_rss_kb: int = 0
    peak_pss_kb: int = 0
    processes: int = 0


def tree_cpu_seconds(root: int) -> float:
    """CPU time of the tree at ``root``. Each process counts its reaped children (cutime), so the
    difference of two readings includes processes that ended in between, and nothing twice."""
    return sum(cpu_seconds(pid) for pid in process_tree(root))


@dataclass
class Sampler:
    """Samples the trees rooted at ``roots`` (name -> pid) every ``interval_s`` until stopped."""

    roots: Mapping[str, int]
    interval_s: float = 0.5  # reading /proc costs this process CPU that the presses need
    usage: dict[str, Usage] = field(default_factory=dict)
    _start_cpu: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self.usage = {name: Usage() for name in self.roots}
        self._start_cpu = {name: tree_cpu_seconds(pid) for name, pid in self.roots.items()}
        self._start_self = _own_cpu_seconds()
        self._sample()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        for name, pid in self.roots.items():
            self.usage[name].cpu_s = tree_cpu_seconds(pid) - self._start_cpu[name]
        # This process alone (its children are the deployment's servers, counted above).
        self.usage["harness"] = Usage(cpu_s=_own_cpu_seconds() - self._start_self, processes=1)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def _sample(self) -> None:
        for name, root in self.roots.items():
            tree = process_tree(root)
            sizes = [memory_kb(pid) for pid in tree]
            usage = self.usage[name]
            usage.peak_rss_kb = max(usage.peak_rss_kb, sum(rss for rss, _ in sizes))
            usage.peak_pss_kb = max(usage.peak_pss_kb, sum(pss for _, pss in sizes))
            usage.processes = max(usage.processes, len(tree))


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def machine() -> dict[str, object]:
    """Cores, memory, CPU model, kernel and load: the machine the figures came from."""
    model = ""
    try:
        for line in (PROC / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in (PROC / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    uname = os.uname()
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": model,
        "kernel": f"{uname.sysname} {uname.release} {uname.machine}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def elapsed(start: float) -> float:
    return time.monotonic() - start
