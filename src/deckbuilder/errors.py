"""Failures the CLI reports as one line each (kept light: the CLI imports it at start-up).

Every failure a user can cause or fix derives from `UserError`; the CLI catches it in one place.
"""


class UserError(Exception):
    """A failure to report in one line (the message says why); no traceback."""


class SnapshotError(UserError):
    """A package or git ref that cannot be read."""


class ReleaseError(UserError):
    """A release that must not go out."""


class UsageProblem(UserError):
    """A command line that cannot be carried out as given (exit code 2, like click's own)."""
