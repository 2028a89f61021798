"""Outbound webhooks: the ``webhook`` task type POSTs the signal that fired it, signed, to an endpoint.

- ``endpoints.py``     named endpoints: address and HMAC secret (encrypted at rest, write-only)
- ``task_type.py``     the task type, assignable in response plans like the Jasper task
- ``delivery.py``      the body and its signature, and one POST
- ``celery_tasks.py``  ``webhook.post``: the pipeline's runner with a performer that delivers
"""
