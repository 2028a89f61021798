"""Features, each in its own folder with its service, Celery tasks, CLI commands, pages and API:

- ``commissioning/``  Patriot's Jasper task: switch each SIM of a client on commission, off on decommission
- ``sim_console/``    a client's SIMs read live, and staff's requests (status, SMS, rate plan)
- ``bulk/``           commissioning and decommissioning from a CSV file
- ``drift/``          drift reconciliation: does the carrier still agree with us about each SIM?
- ``sim_swap/``       replace a panel's SIM by a new one, keeping it reachable
- ``receiver/``       the SIA DC-09 receiver, and commissioning verified by the panel's first signal
- ``webhooks/``       the webhook task type: signals POSTed, signed, to other systems

Edges find what a feature adds to them by file name, with no list to keep: the worker imports each
``celery_tasks.py``, the web app includes each ``pages.py`` and ``api.py`` (templates in ``templates/``),
the command line adds each ``cli.py``'s ``commands``. A feature's task types are registered in
pyproject.toml (see pipeline/task_types.py).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from types import ModuleType


def names() -> list[str]:
    """Every feature, by folder name."""
    return sorted(found.name for found in pkgutil.iter_modules(__path__) if found.ispkg)


def module_names(edge: str) -> list[str]:
    """The dotted names of every feature's ``edge`` module (``celery_tasks``, ``pages``, ``api``, ``cli``)
    that exists: an edge finds what features add to it by folder, with no list to keep."""
    wanted = (f"{__name__}.{name}.{edge}" for name in names())
    return [module for module in wanted if importlib.util.find_spec(module) is not None]


def modules(edge: str) -> list[ModuleType]:
    """Every feature's ``edge`` module, imported."""
    return [importlib.import_module(name) for name in module_names(edge)]
