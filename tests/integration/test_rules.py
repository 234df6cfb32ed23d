"""Pre- and post-exec rules on the sandbox: Stork's checks, and commands sent to pods/exec.

The sandbox has no kubelet, so no command can really run in a container. What is tested here is
everything up to the kubelet: the Rule checks, which pods are picked, and the exec request going
through the real API server with the controller's credentials, whose refusal (no kubelet answers
for the pod's node) must fail the migration with Stork's message naming the pod and the reason.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lightkube import ApiError
from lightkube.models.core_v1 import Container, PodSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Node, Pod
from lightkube.types import PatchType

from stork.kube.resources import ClusterPairResource, RuleResource
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_migration import run_migration


@pytest.fixture
def paired(clusters: Clusters, namespace: str) -> str:
    """A namespace with a ConfigMap and a Ready pair to the destination."""
    clusters.source.create(
        ConfigMap(metadata=ObjectMeta(name="settings", namespace=namespace), data={"a": "1"})
    )
    pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    pair["metadata"] = {"name": "remote", "namespace": namespace}
    pair.pop("status")
    clusters.source.create(ClusterPairResource.from_dict(pair))
    return namespace


@pytest.fixture
def rules_controller(start_controller: Callable[..., RunningController]) -> RunningController:
    """The controller, trying a rule command once (Stork: 12 tries, 5 s apart)."""
    return start_controller("--pair-check-interval", "1", "--rule-command-tries", "1")


def make_rule(clusters: Clusters, namespace: str, name: str, *actions: dict[str, Any]) -> None:
    clusters.source.create(
        RuleResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "Rule",
                "metadata": {"name": name, "namespace": namespace},
                "rules": [{"podSelector": {"app": "db"}, "actions": list(actions)}],
            }
        )
    )


def failure(result: dict[str, Any]) -> str:
    return str(result["conditions"][0]["message"])


@pytest.fixture
def ghost_node(clusters: Clusters) -> Iterator[str]:
    """A Node whose kubelet would listen on 127.0.0.1:1, where nothing listens."""
    name = f"ghost-{uuid.uuid4().hex[:8]}"
    clusters.source.create(Node(metadata=ObjectMeta(name=name)))
    clusters.source.patch(
        Node.Status,
        name,
        {
            "status": {
                "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 1}},
            }
        },
        patch_type=PatchType.MERGE,
    )
    yield name
    try:
        clusters.source.delete(Node, name)
    except ApiError as e:
        if e.status.code != 404:
            raise


def running_pod(clusters: Clusters, namespace: str, node: str) -> None:
    clusters.source.create(
        Pod(
            metadata=ObjectMeta(name="db-0", namespace=namespace, labels={"app": "db"}),
            spec=PodSpec(nodeName=node, containers=[Container(name="db", image="postgres")]),
        )
    )
    clusters.source.patch(
        Pod.Status,
        "db-0",
        {"status": {"phase": "Running"}},
        namespace=namespace,
        patch_type=PatchType.MERGE,
    )


def test_a_rule_without_running_pods_runs_nothing_and_the_migration_completes(
    clusters: Clusters, paired: str, rules_controller: RunningController
) -> None:
    make_rule(clusters, paired, "freeze", {"type": "command", "value": "sync"})
    clusters.source.create(
        Pod(
            metadata=ObjectMeta(name="pending", namespace=paired, labels={"app": "db"}),
            spec=PodSpec(containers=[Container(name="db", image="postgres")]),
        )
    )
    result = run_migration(clusters, paired, "ruled", preExecRule="freeze", postExecRule="freeze")
    assert result["status"] == "Successful", result


def test_a_command_the_pod_cannot_run_fails_the_migration_naming_pod_and_reason(
    clusters: Clusters, paired: str, ghost_node: str, rules_controller: RunningController
) -> None:
    running_pod(clusters, paired, ghost_node)
    make_rule(clusters, paired, "freeze", {"type": "command", "value": "sync"})
    result = run_migration(clusters, paired, "ruled", preExecRule="freeze")
    assert result["status"] == "Failed", result
    message = failure(result)
    prefix = f"Error running PreExecRule: command: sync failed in pod: [{paired}] db-0 due to: "
    assert message.startswith(prefix), message
    assert "127.0.0.1:1" in message or "connection refused" in message, message
    # Nothing was migrated: the rule runs before the resources.
    assert not result.get("resources"), result


def test_storks_rule_checks(
    clusters: Clusters, paired: str, rules_controller: RunningController
) -> None:
    make_rule(clusters, paired, "scripted", {"type": "script", "value": "x"})
    result = run_migration(clusters, paired, "bad-type", preExecRule="scripted")
    assert result["status"] == "Failed"
    assert failure(result) == (
        f"Error running PreExecRule: unsupported action type: script in rule: [{paired}] scripted"
    )
    make_rule(clusters, paired, "held", {"type": "command", "value": "x", "background": True})
    result = run_migration(clusters, paired, "bad-post", postExecRule="held")
    assert result["status"] == "Failed"
    assert failure(result) == (
        "Error running PostExecRule: background actions are not supported for post exec rules"
    )
