"""What a Migration's namespace set reads from the source: a Migration that names namespaces
it may not cover is refused on the names alone, without a request for any of them (a tenant
must not learn whether another team's namespace exists, nor make the controller read it).

The reconciler is driven directly on the sandbox's source, every request it sends recorded.
"""

from __future__ import annotations

import asyncio
from typing import Any

from stork.controller.clients import DestinationClients
from stork.controller.metrics import Metrics
from stork.controller.migration import MigrationReconciler
from stork.controller.paircredentials import PairCredentialResolver
from stork.kube.config import load_config
from stork.kube.pairconfig import CONFINED
from stork.kube.resources import MigrationResource
from stork.kube.stack import RequestHooks, cluster_client
from stork.runtime.events import EventRecorder
from tests.integration.conftest import Clusters
from tests.integration.test_tenant_boundary import NOT_CONFINED


def reconcile_once(clusters: Clusters, namespace: str, name: str) -> list[tuple[str, str]]:
    """Reconcile the Migration ``name`` once; return every (method, path) sent to the source."""
    sent: list[tuple[str, str]] = []

    async def main() -> None:
        hooks = RequestHooks(response=lambda req, _resp: sent.append((req.method, req.url.path)))
        source = cluster_client(load_config(clusters.kubeconfig("source")), hooks)
        metrics = Metrics()
        destinations = DestinationClients(
            PairCredentialResolver(source.lightkube, CONFINED), metrics
        )
        reconciler = MigrationReconciler(
            source.lightkube,
            EventRecorder(source.lightkube),
            source.rest,
            destinations,
            metrics=metrics,
            bulk=source.bulk,
        )
        try:
            obj = dict(await source.lightkube.get(MigrationResource, name, namespace=namespace))
            await reconciler.reconcile((namespace, name), obj)
        finally:
            await destinations.close()
            await source.aclose()

    asyncio.run(main())
    return sent


def create_migration(clusters: Clusters, namespace: str, name: str, names: list[str]) -> None:
    clusters.source.create(
        MigrationResource.from_dict(
            {
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"clusterPair": "remote", "namespaces": names},
            }
        )
    )


def status(clusters: Clusters, namespace: str, name: str) -> dict[str, Any]:
    obj = clusters.source.get(MigrationResource, name, namespace=namespace)
    return dict(obj).get("status") or {}


def namespace_reads(sent: list[tuple[str, str]]) -> set[str]:
    """The namespaces read by name: GET /api/v1/namespaces/<name>."""
    prefix = "/api/v1/namespaces/"
    return {
        path.removeprefix(prefix)
        for method, path in sent
        if method == "GET" and path.startswith(prefix) and "/" not in path.removeprefix(prefix)
    }


def test_a_migration_naming_another_namespace_is_refused_without_reading_it(
    clusters: Clusters, namespace: str
) -> None:
    create_migration(clusters, namespace, "escape", [namespace, "kube-system", "default"])
    sent = reconcile_once(clusters, namespace, "escape")
    result = status(clusters, namespace, "escape")
    assert (result.get("stage"), result.get("status")) == ("Final", "Failed")
    complete = [c for c in result.get("conditions") or [] if c.get("type") == "Complete"]
    assert [c.get("message") for c in complete] == [NOT_CONFINED]
    assert namespace_reads(sent) == set()
    assert not any(method == "GET" and path == "/api/v1/namespaces" for method, path in sent)


def test_a_confined_migration_reads_its_namespace_by_name(
    clusters: Clusters, namespace: str
) -> None:
    # The control of the test above: the recorder sees a read of the namespace set when one
    # is made (the pair is missing, so the migration goes no further than asking for it).
    create_migration(clusters, namespace, "own", [namespace])
    sent = reconcile_once(clusters, namespace, "own")
    assert namespace_reads(sent) == {namespace}
