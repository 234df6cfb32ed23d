"""What the clusterpair commands do on a cluster: clients, namespaces, pairs, and errors.

API errors are printed as kubectl prints them; an unreachable cluster is one line naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
from lightkube import ApiError, Client
from lightkube.core.exceptions import ConfigError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from stork.cli.clusterpair_spec import Kubeconfig, create_body, safe_message
from stork.cli.errors import ServerError, UserError, api_error_line
from stork.cli.writes import create_object
from stork.kube.config import KubeconfigError, make_client
from stork.kube.resources import ClusterPairResource

RESOURCE = "clusterpairs.stork.libopenstorage.org"


@contextmanager
def server_errors(cluster: str = "the cluster") -> Iterator[None]:
    """API errors as kubectl prints them; connection and auth-plugin failures as one line."""
    try:
        yield
    except ApiError as e:
        raise ServerError(api_error_line(e)) from e
    except httpx2.HTTPError as e:
        raise UserError(f"cannot reach {cluster}: {safe_message(e)}") from e
    except ConfigError as e:
        raise UserError(f"cannot authenticate to {cluster}: {safe_message(e)}") from e


def client_for(kubeconfig: Kubeconfig, context: str | None = None) -> Client:
    """A client of the cluster the kubeconfig (and context) names; a bad kubeconfig is an error."""
    try:
        return make_client(kubeconfig, context)
    except KubeconfigError as e:
        raise UserError(safe_message(e)) from e


def is_not_found(e: ApiError) -> bool:
    """True for a 404 from the API server."""
    return e.status.code == 404


def get_pair(client: Client, name: str, namespace: str) -> dict[str, Any] | None:
    """The pair as the API returns it, or None when there is none of that name."""
    try:
        return dict(client.get(ClusterPairResource, name, namespace=namespace))
    except ApiError as e:
        if is_not_found(e):
            return None
        raise


def list_pairs(client: Client, namespace: str | None) -> list[dict[str, Any]]:
    """Pairs of one namespace, or of all (None), ordered by namespace and name."""
    found = [dict(p) for p in client.list(ClusterPairResource, namespace=namespace or "*")]
    return sorted(found, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))


def ensure_namespace(client: Client, namespace: str) -> bool:
    """Create the namespace unless it exists; True when this call created it."""
    try:
        client.get(Namespace, namespace)
        return False
    except ApiError as e:
        if not is_not_found(e):
            raise
    try:
        create_object(client, Namespace(metadata=ObjectMeta(name=namespace)))
    except ApiError as e:
        if e.status.code != 409:  # created meanwhile by someone else
            raise
        return False
    return True


def create_pair(client: Client, pair: dict[str, Any]) -> None:
    """Create the pair (its namespace must exist)."""
    create_object(client, ClusterPairResource.from_dict(create_body(pair)))


def delete_pair(client: Client, name: str, namespace: str) -> None:
    """Delete one pair (raises ApiError, e.g. NotFound)."""
    client.delete(ClusterPairResource, name, namespace=namespace)


def delete_namespace(client: Client, namespace: str) -> None:
    """Delete a namespace (used only to undo one this command created)."""
    client.delete(Namespace, namespace)
