"""The one core: every edge (CLI, web pages, inbound API, Celery tasks) calls these functions.

Services take a session and flush; they never commit. The caller's unit of work owns the transaction.
"""
