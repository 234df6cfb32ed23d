"""The sandbox's error: every failure it reports to a user, with what to do about it."""


class SandboxError(RuntimeError):
    """A sandbox cluster, its node or its host rules could not be started, stopped or reached."""
