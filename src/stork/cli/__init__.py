"""Command-line interfaces: ``stork`` (controller, sandbox, install) and ``storkctl``."""
