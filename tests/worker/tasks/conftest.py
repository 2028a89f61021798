"""Fixtures of the task tests."""

from tests.worker.tasks.bulk_runs import runs  # noqa: F401 - a fixture for the bulk task tests
