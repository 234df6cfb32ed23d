"""A one-shot Migration whose destination answers too slowly for a while finishes Successful:
the Applications stage is retried with back-off (``--migration-retry-seconds``), not failed on
the first ``ReadTimeout`` (issue 17, item 5)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator

import pytest
from lightkube.resources.core_v1 import ConfigMap, Event

from stork.kube.resources import ClusterPairResource
from stork.kube.stack import REQUEST_TIMEOUT
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_migration import APP, kubectl, wait_migration
from tests.integration.test_migration import create_migration as create_migration_with
from tests.relay import Relay, relay_for
from tests.waiting import wait_for


@pytest.fixture
def destination_relay(clusters: Clusters) -> Iterator[Relay]:
    """The fault relay in front of the destination's apiserver, passing through."""
    with relay_for(clusters.sandbox, "destination") as running:
        yield running


@pytest.fixture
def slow_app(clusters: Clusters, namespace: str, destination_relay: Relay) -> str:
    """An application and a pair ``remote`` whose destination is reached through the relay."""
    app = [doc for doc in APP.split("---") if "Widget" not in doc]  # no CRD needed here
    kubectl(
        clusters.kubeconfig("source"), "apply", "-n", namespace, "-f", "-", stdin="---".join(app)
    )
    credentials = dataclasses.replace(
        clusters.sandbox.credentials("destination"), server=destination_relay.url
    )
    pair = copy.deepcopy(seed_objects(credentials)[1])
    pair["metadata"] = {"name": "remote", "namespace": namespace}
    pair.pop("status")
    clusters.source.create(ClusterPairResource.from_dict(pair))
    return namespace


def test_a_destination_slower_than_the_request_timeout_for_a_while_lets_it_succeed(
    clusters: Clusters,
    slow_app: str,
    destination_relay: Relay,
    start_controller: Callable[..., RunningController],
) -> None:
    start_controller("--pair-check-interval", "3600", "--migration-retry-seconds", "300")

    def ready() -> bool:
        status = clusters.source.get(ClusterPairResource, "remote", namespace=slow_app).get(
            "status"
        )
        return (status or {}).get("schedulerStatus") == "Ready"

    wait_for(ready, 60, "the pair to be Ready through the relay")
    # Every answer now arrives after the client's timeout: each request ends in ReadTimeout.
    destination_relay.delay(REQUEST_TIMEOUT + 15)
    try:
        create_migration_with(clusters, slow_app, "one-shot")

        def retrying() -> bool:
            return any(
                "retrying in" in (e.message or "")
                for e in clusters.source.list(Event, namespace=slow_app)
                if e.involvedObject.name == "one-shot"
            )

        wait_for(retrying, 240, "the Applications stage to meet the timeouts and retry")
    finally:
        destination_relay.passthrough()
    done = wait_migration(clusters, slow_app, "one-shot", 240)
    assert done["status"] == "Successful", done
    assert clusters.destination.get(ConfigMap, "settings", namespace=slow_app).data == {
        "color": "blue"
    }
    assert done["summary"]["numOfMigratedResources"] == len(done["resources"])
