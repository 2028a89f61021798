"""The SIM swap: replace a panel's SIM by a new one, keeping it reachable (``service.py``), from the
command line (``cli.py``) and the JSON API (``api.py``)."""
