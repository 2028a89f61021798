"""The monitoring centre's records, as staff set them up and press them: clients and their add-on devices
(and SIMs), communicator types, templates and event types, action and response plans, tasks, users,
overrides and dealers, system settings, login accounts and API tokens; the operator log; the checks on
what people enter (``validation.py``) and the errors they can cause (``errors.py``).

Commissioning and decommissioning a client (``clients.py``) is the press that starts the pipeline.
"""
