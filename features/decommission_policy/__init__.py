"""Decommissioning that saves money: each communicator type's decommission policy (``service.py``),
beat's sweep that asks for due terminations (``celery_tasks.py``), and its commands (``cli.py``)."""
