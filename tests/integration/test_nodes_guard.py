"""The host-side network guard (whenever the sandbox runs as root, nodes or not): what this
machine sends to the clusters' service CIDRs never leaves it, it fails at once.

A migrated webhook configuration makes the destination apiserver dial its Service's ClusterIP;
on a machine with a default route that dial would go out to the network. That one sandbox's
`down` leaves the others' guards in place is checked by test_nodes_down.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from collections.abc import Iterator

import pytest
from lightkube import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.admissionregistration_v1 import ValidatingWebhookConfiguration
from lightkube.resources.core_v1 import ConfigMap, Namespace, Service

from stork.sandbox import netguard
from tests.integration.conftest import Clusters

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the guard exists only as root")


def test_the_guard_is_in_place_and_a_dial_to_a_service_ip_fails_at_once(
    clusters: Clusters,
) -> None:
    assert netguard.present(clusters.sandbox.id)
    for address in ("10.96.123.45", "10.100.123.45"):
        started = time.monotonic()
        with socket.socket() as s:
            s.settimeout(10)
            with pytest.raises(OSError, match="unreachable") as err:
                s.connect((address, 443))
        assert err.value.errno == errno.ENETUNREACH, err.value
        assert time.monotonic() - started < 1


@pytest.fixture
def webhook(clusters: Clusters, namespace: str) -> Iterator[str]:
    """On the destination: a Service without backends, and a webhook on it for `namespace`."""
    dst = clusters.destination
    dst.create(Namespace(metadata=ObjectMeta(name=namespace)))
    dst.create(
        Service.from_dict(
            {
                "metadata": {"name": "hook", "namespace": namespace},
                "spec": {"ports": [{"port": 443}]},
            }
        )
    )
    name = f"guard-{namespace}"
    dst.create(
        ValidatingWebhookConfiguration.from_dict(
            {
                "metadata": {"name": name},
                "webhooks": [
                    {
                        "name": "guard.stork.example.com",
                        "clientConfig": {
                            "service": {"namespace": namespace, "name": "hook", "port": 443}
                        },
                        "rules": [
                            {
                                "apiGroups": [""],
                                "apiVersions": ["v1"],
                                "operations": ["CREATE"],
                                "resources": ["configmaps"],
                            }
                        ],
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": namespace}
                        },
                        "failurePolicy": "Fail",
                        "sideEffects": "None",
                        "admissionReviewVersions": ["v1"],
                        "timeoutSeconds": 10,
                    }
                ],
            }
        )
    )
    yield namespace
    dst.delete(ValidatingWebhookConfiguration, name)


def test_a_webhook_on_a_cluster_ip_fails_at_once_and_never_leaves_the_machine(
    clusters: Clusters, webhook: str
) -> None:
    cluster_ip = clusters.destination.get(Service, "hook", namespace=webhook).spec.clusterIP  # type: ignore[union-attr]
    started = time.monotonic()
    with pytest.raises(ApiError) as err:
        clusters.destination.create(
            ConfigMap(metadata=ObjectMeta(name="probe", namespace=webhook), data={"a": "1"})
        )
    message = err.value.status.message or ""
    assert f"{cluster_ip}:443" in message, message
    assert "network is unreachable" in message, message
    assert time.monotonic() - started < 5  # not the webhook's 10 s timeout
