"""Destination drift (issue 13, item 8): a copy edited on the destination is applied again.

A re-sync used to compare only the hash annotation, so an edit made on the destination copy
survived until the source changed. The controller remembers each copy's version after its
own write; a copy whose version moved is re-applied, with the reason ``Drifted`` naming who
edited it, a Warning event and a metric. A sync with nothing edited still writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Event
from lightkube.types import PatchType

from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_metrics_health import controller_flags, make_pair, scrape
from tests.integration.test_migration import create_migration, kubectl, wait_migration
from tests.waiting import wait_for

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: untouched}
data: {a: "1"}
"""


def run_migration(clusters: Clusters, namespace: str, name: str) -> dict[str, Any]:
    create_migration(clusters, namespace, name)
    return wait_migration(clusters, namespace, name, 300)  # a loaded machine is slow


def _entries(status: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(r["kind"], r["name"]): r["reason"] for r in status.get("resources") or []}


def test_an_edited_copy_is_applied_again_and_a_clean_resync_writes_nothing(
    clusters: Clusters, namespace: str, start_controller: Callable[..., RunningController]
) -> None:
    kubectl(clusters.kubeconfig("source"), "apply", "-n", namespace, "-f", "-", stdin=APP)
    make_pair(clusters, namespace)
    flags, metrics, _ = controller_flags(namespace)
    start_controller(*flags)
    first = run_migration(clusters, namespace, "first")
    assert first["status"] == "Successful", first

    # Someone edits the DR copy: scales the Deployment up, changes the ConfigMap.
    dest = clusters.destination
    dest.patch(
        Deployment,
        "web",
        {"spec": {"replicas": 5}},
        namespace=namespace,
        patch_type=PatchType.MERGE,
        field_manager="dr-admin",
    )
    dest.patch(
        ConfigMap,
        "settings",
        {"data": {"color": "red"}},
        namespace=namespace,
        patch_type=PatchType.MERGE,
        field_manager="kubectl-edit",
    )

    second = run_migration(clusters, namespace, "second")
    assert second["status"] == "Successful", second
    reasons = _entries(second)
    assert reasons[("Deployment", "web")].startswith(
        "Drifted: changed on the destination by dr-admin"
    )
    assert reasons[("ConfigMap", "settings")].startswith(
        "Drifted: changed on the destination by kubectl-edit"
    )
    assert reasons[("ConfigMap", "untouched")].startswith("Resource unchanged")
    assert second["conditions"][0]["message"].startswith("4 resources, 2 written")
    # The copies are as the source says again (and the standby at 0 replicas).
    web = dest.get(Deployment, "web", namespace=namespace)
    assert web.spec is not None
    assert web.spec.replicas == 0
    assert dest.get(ConfigMap, "settings", namespace=namespace).data == {"color": "blue"}

    samples = scrape(metrics)
    for kind in ("Deployment", "ConfigMap"):
        key = ("stork_migration_drifted_resources_total", (("kind", kind),))
        assert samples.get(key) == 1.0, {k: v for k, v in samples.items() if "drift" in k[0]}

    def drift_event() -> str | None:
        for event in clusters.source.list(Event, namespace=namespace):
            if event.reason == "Drifted" and event.involvedObject.name == "second":
                return event.message
        return None

    message = wait_for(drift_event, 30, "the Drifted event")
    assert message.startswith("2 resources were changed on the destination")
    assert "dr-admin (1)" in message
    assert "kubectl-edit (1)" in message

    # Nothing edited since: nothing written, nothing drifted.
    third = run_migration(clusters, namespace, "third")
    assert third["conditions"][0]["message"].startswith("4 resources, 0 written")
    assert not any(r.startswith("Drifted") for r in _entries(third).values())
