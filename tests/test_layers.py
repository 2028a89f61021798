"""The tree's shape, checked: no module imports one of a higher layer, every task type's Celery task is
registered by the worker, and the wheel installs only what runs."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A module may import its own layer and those below, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("config", "models", "migrations"),
    ("carriers",),
    ("centre", "pipeline"),
    ("features",),  # a feature's core: its service, task type, jobs ...
    ("worker", "web", "cli", "simulator", "features:edge"),  # what faces people, processes and brokers
    ("bench",),
]
# The modules of a feature that are edges: they face the web, the command line or Celery.
FEATURE_EDGES = ("pages", "api", "cli", "celery_tasks", "schemas")


def _layer_of(module: str) -> int | None:
    parts = module.split(".")
    name = parts[0]
    if name == "features" and len(parts) > 2 and parts[2] in FEATURE_EDGES:
        name = "features:edge"
    for number, packages in enumerate(LAYERS):
        if name in packages:
            return number
    return None  # the standard library or a third-party package


def _module_of(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _sources() -> list[Path]:
    packages = {name for layer in LAYERS for name in layer if ":" not in name}
    return sorted(p for name in packages for p in (ROOT / name).rglob("*.py") if ".venv" not in p.parts)


def test_no_module_imports_a_higher_layer() -> None:
    wrong = []
    for path in _sources():
        module = _module_of(path)
        own = _layer_of(module)
        assert own is not None, module
        for imported in _imports(path):
            theirs = _layer_of(imported)
            if theirs is not None and theirs > own:
                wrong.append(f"{module} (layer {own}) imports {imported} (layer {theirs})")
    assert wrong == []


def test_the_pipeline_and_the_carriers_never_import_the_worker_or_a_feature() -> None:
    for package in ("pipeline", "carriers", "centre"):
        for path in (ROOT / package).rglob("*.py"):
            imported = [name for name in _imports(path) if name.split(".")[0] in ("worker", "features")]
            assert imported == [], path


def test_every_task_type_is_run_by_a_registered_celery_task() -> None:
    from pipeline import task_types
    from worker.celery import app

    app.loader.import_default_modules()
    assert task_types.names()
    for name in task_types.names():
        task_type = task_types.get(name)
        assert task_type.celery_task in app.tasks, name
        assert task_type.queue in app.amqp.queues, name


@pytest.mark.integration
def test_the_wheel_holds_what_runs_and_no_benchmark(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            tmp_path,
            ROOT,
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("commissioner-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if "/" in name and ".dist-info" not in name}
    assert tops == {
        "config",
        "models",
        "migrations",
        "carriers",
        "centre",
        "pipeline",
        "features",
        "worker",
        "web",
        "cli",
        "simulator",
    }
    assert not any(name.startswith(("bench/", "tests/")) for name in names)
    templates = {str(p.relative_to(ROOT)) for p in ROOT.glob("features/*/templates/*.html")}
    assert templates - set(names) == set()  # every feature's pages ship (package-data)
    assert "web/templates/base.html" in names
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[commissioner.task_types]" in text
