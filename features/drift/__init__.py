"""Drift reconciliation: read what changed at each carrier account, judge it against what each SIM should
be, and log drift on the client."""
