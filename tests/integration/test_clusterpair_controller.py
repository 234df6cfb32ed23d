"""The ClusterPair controller (`stork run`) against the real source and destination clusters."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from lightkube.resources.core_v1 import Event

from stork.kube.resources import ClusterPairResource
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters, RunningController
from tests.waiting import wait_for


def _pair(clusters: Clusters, namespace: str, name: str = "remotecluster") -> dict[str, Any]:
    pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    pair["metadata"] = {"name": name, "namespace": namespace}
    pair.pop("status")
    return pair


def _status(clusters: Clusters, namespace: str, name: str) -> dict[str, Any]:
    obj = clusters.source.get(ClusterPairResource, name, namespace=namespace)
    return dict(obj.get("status") or {})


def _events(clusters: Clusters, namespace: str) -> list[tuple[str, str, str]]:
    return [
        (e.type or "", e.reason or "", e.message or "")
        for e in clusters.source.list(Event, namespace=namespace)
    ]


def test_pair_ready_then_error_while_destination_is_down_then_ready(
    clusters: Clusters, namespace: str, controller: RunningController
) -> None:
    pair = _pair(clusters, namespace)
    clusters.source.create(ClusterPairResource.from_dict(pair))
    ready = wait_for(
        lambda: _status(clusters, namespace, "remotecluster").get("schedulerStatus") == "Ready",
        30,
        "the pair to become Ready",
    )
    assert ready
    status = _status(clusters, namespace, "remotecluster")
    assert status["storageStatus"] == "NotProvided"
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["SchedulerReady"]["status"] == "True"
    assert conditions["SchedulerReady"]["reason"] == "Paired"
    expected = {
        ("Normal", "Ready", "Scheduler successfully paired"),
        ("Normal", "NotProvided", "Skipping storage pairing since no storage options provided"),
    }
    # Events are recorded just after the status is written.
    wait_for(lambda: expected <= set(_events(clusters, namespace)), 10, "the pairing events")

    clusters.sandbox.stop("destination")
    try:
        wait_for(
            lambda: _status(clusters, namespace, "remotecluster").get("schedulerStatus") == "Error",
            30,
            "the pair to turn Error",
        )
        warnings = wait_for(
            lambda: [e for e in _events(clusters, namespace) if e[0] == "Warning"],
            10,
            "a Warning event",
        )
        assert warnings[0][1] == "Error"
        assert "did not answer" in warnings[0][2]
    finally:
        clusters.sandbox.start("destination")
    wait_for(
        lambda: _status(clusters, namespace, "remotecluster").get("schedulerStatus") == "Ready",
        30,
        "the pair to be Ready again",
    )

    # No credential of the pair appears in events or in the controller's log.
    returncode = controller.stop()
    log = controller.output()
    user = next(iter(pair["spec"]["config"]["users"].values()))
    secrets = [user["client-key-data"], user["client-certificate-data"]]
    texts = [log] + [m for _, _, m in _events(clusters, namespace)]
    assert not any(secret in text for secret in secrets for text in texts)
    assert "scheduler Error" in log
    assert returncode == 0


def test_unusable_config_and_storage_token(
    clusters: Clusters, namespace: str, controller: RunningController
) -> None:
    broken = _pair(clusters, namespace, "broken")
    del broken["spec"]["config"]["current-context"]
    clusters.source.create(ClusterPairResource.from_dict(broken))
    with_token = _pair(clusters, namespace, "withtoken")
    with_token["spec"]["options"] = {"token": "abc"}
    clusters.source.create(ClusterPairResource.from_dict(with_token))

    wait_for(
        lambda: _status(clusters, namespace, "broken").get("schedulerStatus") == "Error",
        30,
        "the broken pair to be Error",
    )
    conditions = {c["type"]: c for c in _status(clusters, namespace, "broken")["conditions"]}
    assert conditions["SchedulerReady"]["reason"] == "InvalidConfig"
    assert conditions["SchedulerReady"]["message"] == (
        "invalid spec.config: spec.config has no current-context"
    )
    wait_for(
        lambda: _status(clusters, namespace, "withtoken").get("schedulerStatus") == "Ready",
        30,
        "the pair with a token to be Ready",
    )
    assert _status(clusters, namespace, "withtoken")["storageStatus"] == "Error"
    assert yaml.safe_dump(_status(clusters, namespace, "withtoken")).count("abc") == 0
