"""What every command that talks to a cluster shares: flags, the client, API errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from lightkube import ApiError, Client

from stork.cli.errors import ServerError, UserError
from stork.kube.config import KubeconfigError, make_client

F = TypeVar("F", bound=Callable[..., Any])


def cluster_options(fn: F) -> F:
    """``--kubeconfig`` and ``--context``, as kubectl has them."""
    fn = click.option("--context", help="kubeconfig context to use.")(fn)
    return click.option(
        "--kubeconfig", type=click.Path(dir_okay=False), help="Path to a kubeconfig."
    )(fn)


def connect(kubeconfig: str | None, context: str | None) -> Client:
    """A client for the chosen cluster; an unusable kubeconfig is a one-line error."""
    try:
        return make_client(kubeconfig, context)
    except KubeconfigError as e:
        raise UserError(str(e)) from e


def api_error(e: ApiError) -> ServerError:
    """An API error printed as kubectl prints it."""
    return ServerError(f"Error from server ({e.status.reason}): {e.status.message}")
