"""``storkctl``: pair clusters, create and list policies, schedules and migrations.

The command tree of Stork's storkctl (``command`` dispatches it as cobra does): verbs, then the
resource, with Stork's names and aliases, flags and global flags (``-n/--namespace``,
``--kubeconfig``, ``--context``, ``-o/--output``, ``-w/--watch``, ``--qps``, ``--burst``)
anywhere on the command line. Ours besides Stork's: ``delete clusterpair``, ``describe
schedulepolicy``, ``generate destination-rbac``.
"""

from __future__ import annotations

import os
import signal
import sys
from importlib.metadata import version

import click

from stork.cli import (
    action_cmd,
    clusterpair_cmd,
    destination_rbac_cmd,
    migration_cmd,
    migrationschedule_cmd,
    schedulepolicy_cmd,
)
from stork.cli.command import Command, Invocation, StorkctlCLI
from stork.cli.errors import INTERRUPTED


def _verbs() -> dict[str, Command]:
    return {
        "create": Command("create", "Create stork resources"),
        "delete": Command("delete", "Delete stork resources"),
        "get": Command("get", "Get stork resources"),
        "describe": Command("describe", "Show stork resources in detail"),
        "activate": Command("activate", "Activate resources"),
        "deactivate": Command("deactivate", "Deactivate resources"),
        # Stork marks `generate` deprecated ("use command "create" instead."): hidden, still works.
        "generate": Command(
            "generate",
            "Generate stork specs",
            hidden=True,
            deprecated='use command "create" instead.',
        ),
        "suspend": Command("suspend", "Suspend schedules"),
        "resume": Command("resume", "Resume schedules"),
        "perform": Command("perform", "perform actions"),
    }


def _version(inv: Invocation) -> None:
    click.echo(f"storkctl Version: {version('stork-py')}")


def build() -> Command:
    """storkctl's command tree."""
    root = Command("storkctl", "storkctl manages stork resources")
    verbs = _verbs()
    root.add(*verbs.values())
    root.add(Command("version", "Print the version of storkctl", _version, needs_cluster=False))
    for module in (
        schedulepolicy_cmd,
        clusterpair_cmd,
        migrationschedule_cmd,
        migration_cmd,
        destination_rbac_cmd,
        action_cmd,
    ):
        module.register(verbs)
    return root


ROOT = build()
cli = StorkctlCLI(ROOT)


def main() -> None:
    """Entry point of the ``storkctl`` command."""
    # Ctrl-C (or kill -INT) ends a -w or --wait even when storkctl was started with SIGINT
    # ignored, as a background job of a script is (Python then leaves it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = cli.main(prog_name="storkctl", standalone_mode=False)
    if code == INTERRUPTED:
        # Ended by Ctrl-C: now, without waiting for open watch streams to be torn down.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
