"""Celery tasks: thin wrappers that decode IDs and hand over to worker/runner.py or the services."""
