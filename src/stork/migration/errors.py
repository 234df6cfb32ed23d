"""The error a migration stops with."""

from __future__ import annotations


class MigrationError(Exception):
    """The migration cannot go on; the message is the reason recorded in status and events."""
