"""Celery side of Commissioner: the app (worker/celery.py), the tasks and the carrier clients."""
