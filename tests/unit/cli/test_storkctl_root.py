"""storkctl's root: global flags given before the sub-command reach every sub-command."""

from __future__ import annotations

import click
from click.testing import CliRunner

from stork.cli.storkctl_main import cli, subcommand_defaults


def test_defaults_reach_every_command_with_that_flag() -> None:
    values = {"namespace": "ns", "output": "json"}
    defaults = subcommand_defaults(cli, values)
    for verb in ("get", "delete", "create", "generate"):
        assert defaults[verb]["clusterpair"]["namespace"] == "ns"
        assert defaults[verb]["cp"]["namespace"] == "ns"
    assert defaults["get"]["clusterpair"]["output"] == "json"
    assert defaults["get"]["schedulepolicy"]["output"] == "json"
    assert "namespace" not in defaults["get"]["schedulepolicy"]  # cluster-scoped: no -n
    assert defaults["version"] == {}


def test_a_flag_after_the_command_wins() -> None:
    @click.group()
    @click.option("-n", "--namespace", default=None)
    @click.pass_context
    def root(ctx: click.Context, namespace: str | None) -> None:
        if namespace:
            ctx.default_map = subcommand_defaults(ctx.command, {"namespace": namespace})

    @root.command()
    @click.option("-n", "--namespace", default="default")
    def show(namespace: str) -> None:
        click.echo(namespace)

    runner = CliRunner()
    assert runner.invoke(root, ["show"]).stdout == "default\n"
    assert runner.invoke(root, ["-n", "a", "show"]).stdout == "a\n"
    assert runner.invoke(root, ["-n", "a", "show", "-n", "b"]).stdout == "b\n"


def test_version_still_there() -> None:
    result = CliRunner().invoke(cli, ["version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Version: ")
