"""The ``commissioner`` command line: a thin edge over the services."""
