"""``storkctl``: pair clusters, create and list policies, schedules and migrations."""

from __future__ import annotations

from importlib.metadata import version

import click

from stork.cli import (
    clusterpair_cmd,
    migration_cmd,
    migrationschedule_cmd,
    schedulepolicy_cmd,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """storkctl: manage cluster pairs, schedule policies, migrations and failover."""


@cli.command(name="version")
def version_cmd() -> None:
    """Print the version of storkctl."""
    click.echo(f"Version: {version('stork-py')}")


@cli.group()
def create() -> None:
    """Create objects."""


@cli.group()
def get() -> None:
    """List objects."""


@cli.group()
def delete() -> None:
    """Delete objects."""


@cli.group()
def describe() -> None:
    """Show objects in detail."""


@cli.group()
def activate() -> None:
    """Start migrated applications on this (destination) cluster."""


@cli.group()
def deactivate() -> None:
    """Stop migrated applications on this (destination) cluster."""


@cli.group()
def suspend() -> None:
    """Suspend schedules."""


@cli.group()
def resume() -> None:
    """Resume schedules."""


@cli.group(hidden=True)  # Stork marks `generate` deprecated (use create): hidden, still works
def generate() -> None:
    """Generate objects."""


schedulepolicy_cmd.register(create, get, delete, describe)
clusterpair_cmd.register({"generate": generate, "create": create, "get": get, "delete": delete})
migrationschedule_cmd.register(
    {"create": create, "get": get, "delete": delete, "suspend": suspend, "resume": resume}
)
migration_cmd.register(activate, deactivate)
migration_cmd.register_crud({"create": create, "get": get, "delete": delete})


def main() -> None:
    """Entry point of the ``storkctl`` command."""
    cli(prog_name="storkctl")


if __name__ == "__main__":
    main()
