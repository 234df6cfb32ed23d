"""What storkctl's commands share: Stork's argument checks, namespaces, the admin namespace."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click
import httpx2
from lightkube import ApiError, Client
from lightkube.resources.core_v1 import ConfigMap, Namespace

from stork.cli.command import Invocation
from stork.cli.errors import UserError
from stork.cli.goflags import boolean
from stork.cli.output import NO_RESOURCES

F = TypeVar("F", bound=Callable[..., Any])

#: Where Stork's controller records its ``--admin-namespace`` (``utils.GetAdminNamespace``).
CONTROLLER_CONFIG = ("kube-system", "stork-controller-config", "admin-ns")
DEFAULT_ADMIN_NAMESPACE = "kube-system"
#: Stork's ``BindGetFlags`` (no short form).
ALL_NAMESPACES = boolean(
    "all-namespaces",
    help="If present, list the requested object(s) across all namespaces.\n"
    "Namespace in current context is ignored even if specified with --namespace.",
)


def cluster_options(fn: F) -> F:
    """``--kubeconfig`` and ``--context`` of the ``stork`` commands, as kubectl has them."""
    fn = click.option("--context", help="kubeconfig context to use.")(fn)
    return click.option(
        "--kubeconfig", type=click.Path(dir_okay=False), help="Path to a kubeconfig."
    )(fn)


def exactly_one(args: list[str], what: str) -> str:
    """Stork's check of commands that take one name."""
    if len(args) != 1:
        raise UserError(f"exactly one name needs to be provided for {what}")
    return args[0]


def is_not_found(e: httpx2.HTTPStatusError) -> bool:
    """True for a 404 answer (an object, or a resource type, the server does not have)."""
    return e.response.status_code == 404


def namespaces(inv: Invocation) -> list[str]:
    """Stork's ``GetAllNamespaces``: every namespace with ``--all-namespaces``, else ``-n``."""
    if not inv.flag("all-namespaces"):
        return [inv.namespace]
    return sorted(str(n.metadata.name) for n in inv.client().list(Namespace) if n.metadata)


def admin_namespace(client: Client) -> str:
    """The controller's admin namespace as Stork's storkctl reads it (default kube-system)."""
    namespace, name, key = CONTROLLER_CONFIG
    try:
        config = client.get(ConfigMap, name, namespace=namespace)
    except (ApiError, httpx2.HTTPError):  # as Stork: any failure means the default
        return DEFAULT_ADMIN_NAMESPACE
    return (config.data or {}).get(key) or DEFAULT_ADMIN_NAMESPACE


def watch(inv: Invocation, resource: Any, show: Callable[[], None]) -> None:
    """``-w``: print once, then again on every change of ``resource`` in the namespace.

    Stork re-prints on every watch event too, but the list it fetched first (stale); here the
    objects are read again each time. Runs until interrupted (Ctrl-C: exit code 130).
    """
    show()
    if not inv.flag("watch"):
        return
    for _event, _obj in inv.client().watch(resource, namespace=inv.namespace):
        show()


def select(
    inv: Invocation, resource: Any, pair_of: Callable[[Mapping[str, Any]], str] | None = None
) -> list[dict[str, Any]]:
    """What a ``get`` shows: the names given (the first missing one is the error, as Stork's
    CheckErr), else every object of ``-n`` (``--all-namespaces``: of all), by namespace and name;
    with ``pair_of``, only those of ``-c/--clusterpair`` when it is given.

    With names and ``--all-namespaces``, every object of those names in any namespace, and a
    name found nowhere is the error (Stork wants each name in every namespace).
    """
    found = _selected(inv, resource)
    pair = inv.values.get("clusterpair")
    if pair_of is None or not pair:
        return found
    return [o for o in found if pair_of(o) == pair]


def _selected(inv: Invocation, resource: Any) -> list[dict[str, Any]]:
    client, names, everywhere = inv.client(), inv.args, bool(inv.values.get("all-namespaces"))
    if names and not everywhere:
        return [dict(client.get(resource, name, namespace=inv.namespace)) for name in names]
    listed = client.list(resource, namespace="*" if everywhere else inv.namespace)
    found = sorted(
        (dict(o) for o in listed), key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"])
    )
    if not names:
        return found
    for missing in [n for n in names if all(o["metadata"]["name"] != n for o in found)]:
        client.get(resource, missing, namespace=inv.namespace)  # raises NotFound
    return [o for name in names for o in found if o["metadata"]["name"] == name]


def of_pair(
    inv: Invocation, resource: Any, pair_of: Callable[[Mapping[str, Any]], str]
) -> list[dict[str, Any]]:
    """The objects of ``-n`` whose ClusterPair (``pair_of``) is ``-c/--clusterPair``, by name."""
    listed = inv.client().list(resource, namespace=inv.namespace)
    found = sorted((dict(o) for o in listed), key=lambda o: str(o["metadata"]["name"]))
    return [o for o in found if pair_of(o) == inv.text("clusterPair")]


def delete_each(
    inv: Invocation,
    resource: Any,
    kind: str,
    pair_of: Callable[[Mapping[str, Any]], str],
    need_name: str,
) -> None:
    """Stork's ``delete migrations|migrationschedules``: the names given, or every object of
    ``-c PAIR`` ("No resources found." when there is none); the first failure stops."""
    if inv.text("clusterPair"):
        names = [str(o["metadata"]["name"]) for o in of_pair(inv, resource, pair_of)]
    elif inv.args:
        names = inv.args
    else:
        raise UserError(need_name)
    if not names:
        click.echo(NO_RESOURCES)
        return
    for name in names:
        inv.client().delete(resource, name, namespace=inv.namespace)
        click.echo(f"{kind} {name} deleted successfully")
