"""Carrier clients: one module per carrier API, each raising the exceptions of errors.py."""
