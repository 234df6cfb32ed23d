"""``storkctl``: pair clusters, create and list policies, schedules and migrations.

Stork's global flags (``-n/--namespace``, ``--kubeconfig``, ``--context``, ``-o/--output``) work
before the sub-command (``storkctl -n ns get cp``) and after it (``storkctl get cp -n ns``): the
values given to the root become the defaults of every sub-command that has that flag, and a
value given after the sub-command wins.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import click

from stork.cli import (
    clusterpair_cmd,
    destination_rbac_cmd,
    migration_cmd,
    migrationschedule_cmd,
    schedulepolicy_cmd,
)
from stork.cli.output import check_output_format

GLOBAL_FLAGS = ("namespace", "kubeconfig", "context", "output")


def subcommand_defaults(command: click.Command, values: dict[str, Any]) -> dict[str, Any]:
    """A click ``default_map`` giving ``values`` to every command below ``command`` that has a
    parameter of that name (nested by command name, as click looks defaults up)."""
    out: dict[str, Any] = {p.name: values[p.name] for p in command.params if p.name in values}
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            out[name] = subcommand_defaults(sub, values)
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-n",
    "--namespace",
    default=None,
    help="The namespace scope for this request (default: default).",
)
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    default=None,
    help="Path to the kubeconfig file to use.",
)
@click.option("--context", default=None, help="The name of the kubeconfig context to use.")
@click.option(
    "-o", "--output", default=None, help="Output format. One of: table|json|yaml (default: table)."
)
@click.pass_context
def cli(
    ctx: click.Context,
    namespace: str | None,
    kubeconfig: str | None,
    context: str | None,
    output: str | None,
) -> None:
    """storkctl: manage cluster pairs, schedule policies, migrations and failover."""
    if output is not None:
        check_output_format(output)
    given = {"namespace": namespace, "kubeconfig": kubeconfig, "context": context, "output": output}
    values = {k: v for k, v in given.items() if v is not None}
    if values:
        ctx.default_map = subcommand_defaults(ctx.command, values)


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
destination_rbac_cmd.register(generate)


def main() -> None:
    """Entry point of the ``storkctl`` command."""
    cli(prog_name="storkctl")


if __name__ == "__main__":
    main()
