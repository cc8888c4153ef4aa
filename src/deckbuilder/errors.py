"""Failures the CLI reports as one line each (kept light: the CLI imports it at start-up)."""


class SnapshotError(Exception):
    """A package or git ref that cannot be read; the message says why."""


class ReleaseError(Exception):
    """A release that must not go out; the message says why."""
