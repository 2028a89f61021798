"""Errors a user can cause. Edges turn them into a one-line message or a 4xx answer.

Anything else raised from a service is a bug on our side.
"""


class UserError(Exception):
    """Bad input or a request that cannot be done; the message is shown to the user as it is."""


class NotFound(UserError):
    pass


class InvalidInput(UserError):
    pass


class Conflict(UserError):
    pass


class NotPermitted(UserError):
    """The request is understood, but the asker's role does not allow it (an operator retiring a SIM)."""
