"""The pipeline: press -> signal -> plan -> execution -> carrier -> outcome, one module a step.

Read in this order:

- ``signals.py``      every signal, whatever its source, is logged here and fires its tasks
- ``resolution.py``   from client, type and zone to event type, action plan and response plan
- ``task_types.py``   what a task does to which targets; the registry of task types
- ``outbox.py``       Celery hears of executions only after their transaction commits
- ``executions.py``   an execution's life: claim under a lease, complete, retry later, supersede
- ``runner.py``       a worker carries out one execution: claim, act outside any transaction, outcome
- ``relay.py``        what is due but whose message was lost is published again
- ``history.py``      a client's signals with the outcomes of the executions they report

The press itself (commission, decommission) is in ``centre/clients.py``; the carrier calls are in
``carriers/``. The pipeline never imports the worker: the Celery app is handed to ``outbox``.
"""
