"""``storkctl``: pair clusters, create and list policies, schedules and migrations."""

from __future__ import annotations

from importlib.metadata import version

import click

from stork.cli import schedulepolicy_cmd


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


schedulepolicy_cmd.register(create, get, delete, describe)


def main() -> None:
    """Entry point of the ``storkctl`` command."""
    cli(prog_name="storkctl")
