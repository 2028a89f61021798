"""The largest ids the database can hold: a bigger id in a URL is refused as invalid, never looked up.

Most tables have 32-bit INTEGER ids on PostgreSQL; signals, executions and the operator log have 64-bit
ones (models/base.py BigId). Looking up a bigger number would be a database error, not a "not found".
"""

MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1
