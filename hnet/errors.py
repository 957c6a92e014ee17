"""Errors a user can cause or fix (a leaf module: every layer may raise them).

The command line reports a ``UserError`` as one ``ERROR ...`` line and exit code 2; anything else
is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A mistake in the input or a problem of the environment, with a message that says what to fix."""


class ConfigError(UserError, ValueError):
    """A configuration key or value that is unknown or out of range."""


class DataError(UserError):
    """Data files that are missing, malformed or cannot be fetched."""
