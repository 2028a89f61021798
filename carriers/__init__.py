"""The carrier layer: how any Commissioner process (web, CLI, worker, reconciler) talks to the carrier
platforms that manage the SIMs in alarm panels.

A platform (one folder each, e.g. ``control_center_rest/``) implements the small protocol in
``platform.py``; ``registry.py`` finds it by the communicator type's kind. Pacing (``pacing.py``), one
paced connection per carrier account and process (``pool.py``) and shared read-backs (``readback.py``)
work for every platform. ``errors.py`` is the exception tree every platform raises.
"""
