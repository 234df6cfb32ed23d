"""The event recorder against the sandbox: long messages cut to the API's limit, repeats
aggregated, and a broken connection logged instead of raised into the reconcile."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Event

from stork.kube.config import load_config
from stork.kube.errors import Backoff
from stork.kube.stack import cluster_client
from stork.kube.transport import RetryPolicy
from stork.runtime.events import MESSAGE_LIMIT, WARNING, EventRecorder
from tests.integration.conftest import Clusters
from tests.relay import Relay


def configmap(clusters: Clusters, namespace: str) -> dict[str, Any]:
    created = clusters.source.create(
        ConfigMap(metadata=ObjectMeta(name="subject", namespace=namespace))
    )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "subject",
            "namespace": namespace,
            "uid": created.metadata.uid if created.metadata else None,
        },
    }


def test_a_long_message_is_cut_to_the_limit_and_repeats_are_counted(
    clusters: Clusters, namespace: str
) -> None:
    subject = configmap(clusters, namespace)
    message = "failed: " + "é" * 3000  # two bytes each: the cut must not split one

    async def record() -> None:
        client = cluster_client(load_config(clusters.kubeconfig("source")))
        try:
            recorder = EventRecorder(client.lightkube)
            await recorder.record(subject, WARNING, "Failed", message)
            await recorder.record(subject, WARNING, "Failed", message)
        finally:
            await client.aclose()

    asyncio.run(record())
    events = list(clusters.source.list(Event, namespace=namespace))
    assert len(events) == 1
    recorded = events[0].message or ""
    assert len(recorded.encode()) <= MESSAGE_LIMIT
    assert len(recorded.encode()) > MESSAGE_LIMIT - 8
    assert recorded.startswith("failed: éé")
    assert recorded.endswith(" ...")
    assert events[0].count == 2


def test_a_connection_that_fails_is_logged_not_raised(
    clusters: Clusters,
    namespace: str,
    relay: Relay,
    relay_kubeconfig: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subject = configmap(clusters, namespace)
    relay.silent()

    async def record() -> None:
        client = cluster_client(
            load_config(relay_kubeconfig),
            timeout=1.0,
            retry=RetryPolicy(deadline=2.0, backoff=Backoff(base=0.2, cap=0.5)),
        )
        try:
            await EventRecorder(client.lightkube).record(subject, WARNING, "Failed", "x")
        finally:
            await client.aclose()

    with caplog.at_level(logging.WARNING, logger="stork.runtime.events"):
        asyncio.run(record())  # returns: an advisory Event never fails its reconcile
    assert "could not record event Failed on subject: ConnectTimeout" in caplog.text
    assert list(clusters.source.list(Event, namespace=namespace)) == []
