"""Sampling profiles of the pipeline with py-spy, and a summary of which functions dominate.

py-spy attaches to running processes without changing them (``--nonblocking``: it does not even pause
them): the worker with its pool processes (``--subprocesses``) and this process, which makes the
presses. Its raw output ("folded" stacks, one line per distinct stack and its sample count) is kept
next to the results for flamegraph.pl or speedscope, and summarised here:

- **self**: the share of samples in which a function was the innermost frame (where time is spent);
- **inclusive**: the share of samples in which it was anywhere on the stack (what it costs in all),
  for Commissioner's own functions and for all (without the frames every sample shares);
- **by package**: self time grouped by the library of the innermost frame.

py-spy leaves out idle threads, so the shares are of the time threads were running or waiting in a
call (a database round trip shows as ``Connection.wait`` in psycopg), not of the wall clock.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_PROCESS = re.compile(r'^process \d+:".*"$')

# Innermost frames in these files and functions are waiting, not computing.
_WAITS = {
    "sleep",
    "select",
    "poll",
    "epoll",
    "wait",
    "_wait",
    "recv",
    "recv_into",
    "read",
    "accept",
    "acquire",
}

PACKAGES = (
    ("sqlalchemy/", "SQLAlchemy"),
    ("psycopg/", "psycopg"),
    ("sqlite3/", "sqlite3"),
    ("kombu/", "kombu"),
    ("celery/", "celery"),
    ("billiard/", "billiard (pool)"),
    ("redis/", "redis-py"),
    ("httpx/", "httpx"),
    ("httpcore/", "httpcore"),
    ("h11/", "h11"),
    ("cryptography/", "cryptography"),
    ("pydantic/", "pydantic"),
    ("json/", "json"),
    ("logging/", "logging"),
    ("pipeline/", "commissioner pipeline"),
    ("centre/", "commissioner centre"),
    ("carriers/", "commissioner carriers"),
    ("features/", "commissioner features"),
    ("worker/", "commissioner worker"),
    ("models/", "commissioner models"),
    ("bench/", "bench harness"),
)


def py_spy() -> str | None:
    """The py-spy program, if installed (``pip install 'commissioner[bench]'``): next to this Python
    (a virtualenv that is not activated), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def recording(pid: int, output: Path, *, subprocesses: bool, rate: int = 200) -> Iterator[list[str]]:
    """Record ``pid`` (and its children) while the block runs; problems are added to the yielded list."""
    problems: list[str] = []
    program = py_spy()
    if program is None:
        problems.append("py-spy is not installed: no profile")
        yield problems
        return
    args = [program, "record", "--pid", str(pid), "--nonblocking", "--rate", str(rate)]
    args += ["--format", "raw", "--output", str(output)]
    if subprocesses:
        args.append("--subprocesses")
    log = output.with_suffix(".log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=out)  # noqa: S603 - py-spy, found on PATH
    try:
        yield problems
    finally:
        # py-spy writes its output when interrupted, like Ctrl-C.
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if output.exists():
            log.unlink(missing_ok=True)
        else:
            problems.append(f"py-spy wrote no profile: {log.read_text(errors='replace').strip()[-300:]}")


_OURS = ("pipeline/", "centre/", "carriers/", "features/", "worker/", "models/", "config/")


@dataclass
class Summary:
    """Which functions dominate a profile (shares of the samples of one role)."""

    samples: int = 0
    self_share: list[tuple[str, float]] = field(default_factory=list)
    inclusive_share: list[tuple[str, float]] = field(default_factory=list)
    ours_share: list[tuple[str, float]] = field(default_factory=list)
    package_share: list[tuple[str, float]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        def pairs(items: list[tuple[str, float]]) -> list[list[Any]]:
            return [[name, round(share, 4)] for name, share in items]

        return {
            "samples": self.samples,
            "self": pairs(self.self_share),
            "inclusive": pairs(self.inclusive_share),
            "commissioner_inclusive": pairs(self.ours_share),
            "packages": pairs(self.package_share),
        }

    def text(self, title: str, top: int = 25) -> str:
        lines = [f"{title}: {self.samples} samples (active threads only)"]
        lines.append("  self time by package:")
        lines += [f"    {share:6.1%}  {name}" for name, share in self.package_share]
        lines.append(f"  top {top} functions by self time:")
        lines += [f"    {share:6.1%}  {name}" for name, share in self.self_share[:top]]
        lines.append(f"  Commissioner's functions by inclusive time (top {top}):")
        lines += [f"    {share:6.1%}  {name}" for name, share in self.ours_share[:top]]
        lines.append(
            f"  all functions by inclusive time, without the frames every sample shares (top {top}):"
        )
        lines += [f"    {share:6.1%}  {name}" for name, share in self.inclusive_share[:top]]
        return "\n".join(lines)


def _frame_name(frame: str) -> tuple[str, str]:
    """(``function (short/path.py)``, path) for one py-spy frame."""
    match = _FRAME.match(frame)
    if match is None:
        return frame, ""
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/", "/app/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['function']} ({path})", path


@dataclass
class _Tally:
    total: int = 0
    own: Counter[str] = field(default_factory=Counter)
    anywhere: Counter[str] = field(default_factory=Counter)
    paths: dict[str, str] = field(default_factory=dict)
    packages: Counter[str] = field(default_factory=Counter)

    def add(self, frames: list[tuple[str, str]], count: int) -> None:
        self.total += count
        leaf, leaf_path = frames[-1]
        self.own[leaf] += count
        self.packages[_package(leaf_path)] += count
        for name, path in frames:
            self.paths[name] = path
        for name in {name for name, _ in frames}:
            self.anywhere[name] += count

    def summary(self, keep: int) -> Summary:
        if not self.total:
            return Summary()
        total = self.total
        shared = {name for name, n in self.anywhere.items() if n >= 0.85 * total}
        return Summary(
            samples=total,
            self_share=[(name, n / total) for name, n in self.own.most_common(keep)],
            inclusive_share=[
                (name, n / total) for name, n in self.anywhere.most_common() if name not in shared
            ][:keep],
            ours_share=[
                (name, n / total)
                for name, n in self.anywhere.most_common()
                if self.paths[name].startswith(_OURS)
            ][:keep],
            package_share=[(name, n / total) for name, n in self.packages.most_common()],
        )


def summarise(folded: Path, *, focus: str | None = None, keep: int = 60) -> dict[str, Summary]:
    """Summarise py-spy's raw output, per role: the main process and its pool processes (py-spy
    names each process on the stack), or only the samples inside ``focus`` (a function name)."""
    tallies: dict[str, _Tally] = {}
    for line in folded.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        raw = stack.split(";")
        depth = sum(1 for frame in raw if _PROCESS.match(frame))
        frames = [_frame_name(frame) for frame in raw if not _PROCESS.match(frame)]
        if not frames:
            continue
        if focus is not None:
            if not any(name.startswith(f"{focus} ") for name, _ in frames):
                continue
            role = focus
        else:
            role = "pool processes" if depth > 1 else "main process"
        tallies.setdefault(role, _Tally()).add(frames, int(count_text))
    return {role: tally.summary(keep) for role, tally in sorted(tallies.items())}


def _package(path: str) -> str:
    for marker, name in PACKAGES:
        if path.startswith(marker):
            return name
    return "python stdlib and others"
