"""``stork sandbox up|down|status|stop|start``: two local clusters for the demo and tests."""

from __future__ import annotations

import os
from pathlib import Path

import click

from stork.cli.errors import UserError, friendly_errors
from stork.cli.table import print_table
from stork.sandbox import CLUSTER_NAMES, MissingBinariesError, Sandbox, SandboxError

_dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("STORK_SANDBOX_DIR", ".sandbox"),
    show_default="$STORK_SANDBOX_DIR or .sandbox",
    help="Directory of the sandbox: state, logs, data and kubeconfigs.",
)


def _sandbox(directory: Path) -> Sandbox:
    return Sandbox(directory, log=lambda line: click.echo(line, err=True))


@click.group()
def sandbox() -> None:
    """Local source and destination clusters (etcd, kube-apiserver, kube-controller-manager)."""


@sandbox.command()
@_dir_option
@click.option(
    "--nodes",
    is_flag=True,
    help="Give each cluster a real node (kubelet, containerd, kube-scheduler): pods run. "
    "Needs root and the Debian packages of `make packages`.",
)
@friendly_errors(SandboxError, MissingBinariesError, OSError)
def up(directory: Path, nodes: bool) -> None:
    """Start both clusters (or reuse them when they already run) and write kubeconfigs."""
    sb = _sandbox(directory)
    result = sb.up(nodes=nodes)
    verb = "reused" if result.reused else "ready"
    click.echo(f"sandbox {verb} in {result.seconds:.1f}s")
    _print_status(sb)
    click.echo(f"kubeconfig: {sb.kubeconfig()} (contexts: {', '.join(CLUSTER_NAMES)})")


@sandbox.command()
@_dir_option
@friendly_errors(SandboxError, OSError)
def down(directory: Path) -> None:
    """Stop exactly the processes `up` started and remove the sandbox's data (logs stay)."""
    if _sandbox(directory).down():
        click.echo(f"sandbox in {directory} stopped and removed")
    else:
        click.echo(f"no sandbox in {directory}; nothing to stop")


def _print_status(sb: Sandbox) -> bool:
    rows = sb.status()
    if rows is None:
        raise UserError(f"no sandbox in {sb.dir}: run `stork sandbox up --dir {sb.dir}`")
    if any(r.node for r in rows):
        print_table(
            ["CLUSTER", "URL", "NODE", "STATUS"], [[r.name, r.url, r.node, r.health] for r in rows]
        )
    else:
        print_table(["CLUSTER", "URL", "STATUS"], [[r.name, r.url, r.health] for r in rows])
    return all(r.health == "Ready" for r in rows)


@sandbox.command()
@_dir_option
@friendly_errors(SandboxError, OSError)
def status(directory: Path) -> None:
    """Print each cluster's URL and health; exit code 1 unless both are Ready."""
    if not _print_status(_sandbox(directory)):
        raise SystemExit(1)


@sandbox.command()
@click.argument("cluster", type=click.Choice(CLUSTER_NAMES))
@_dir_option
@friendly_errors(SandboxError, OSError)
def stop(cluster: str, directory: Path) -> None:
    """Stop one cluster's processes, keeping its data, ports and certificates."""
    _sandbox(directory).stop(cluster)
    click.echo(f"{cluster} stopped")


@sandbox.command()
@click.argument("cluster", type=click.Choice(CLUSTER_NAMES))
@_dir_option
@friendly_errors(SandboxError, MissingBinariesError, OSError)
def start(cluster: str, directory: Path) -> None:
    """Start a stopped cluster again with the same data, ports and certificates."""
    _sandbox(directory).start(cluster)
    click.echo(f"{cluster} started")


@sandbox.command("load-image")
@click.argument("archive", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--cluster",
    "clusters",
    type=click.Choice(CLUSTER_NAMES),
    multiple=True,
    help="Load into this cluster's node only (repeatable; default: both).",
)
@_dir_option
@friendly_errors(SandboxError, OSError)
def load_image(archive: Path, clusters: tuple[str, ...], directory: Path) -> None:
    """Load an OCI image archive (e.g. `make image`'s) into the nodes' containerd."""
    names = clusters or CLUSTER_NAMES
    image = _sandbox(directory).load_image(archive, names)
    click.echo(f"{image} loaded into {', '.join(names)}")
