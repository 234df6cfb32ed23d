"""ApplicationRegistration: which custom resource kinds belong to an application, and how an
operator's resource is switched off on the standby (cluster-scoped; Stork's layout, no spec)."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import Field

from stork.api.base import KubeObject, OpenStorkModel


class SuspendOptions(OpenStorkModel):
    """The field that suspends a resource: dotted path, type and (bool, string) off value."""

    path: str | None = Field(None, description="Dotted path, e.g. spec.replicas.")
    type: str | None = Field(None, description="int, bool or string.")
    value: str | None = Field(None, description="The off value (bool, string).")


class StashStrategy(OpenStorkModel):
    """Stork's stash strategy (not used here: suspended resources are applied as they are)."""

    stash_cr: bool | None = Field(None, alias="stashCR")


class ApplicationResource(OpenStorkModel):
    """One registered kind."""

    group: str | None = None
    version: str | None = None
    kind: str | None = None
    keep_status: bool | None = None
    suspend_options: SuspendOptions | None = None
    pods_path: str | None = None
    custom_suspend_options: list[SuspendOptions] | None = None
    stash_strategy: StashStrategy | None = None


class ApplicationRegistration(KubeObject):
    """Kinds of one application (Stork creates its built-in ones at start-up)."""

    resources: list[ApplicationResource] | None = None


def _resource(
    group: str,
    version: str,
    kind: str,
    suspend: tuple[str, str, str] | None = None,
    pods_path: str = "",
) -> dict[str, Any]:
    path, kind_of, value = suspend or ("", "", "")
    return {
        "group": group,
        "version": version,
        "kind": kind,
        "keepStatus": False,
        "suspendOptions": {"path": path, "type": kind_of, "value": value},
        "podsPath": pods_path,
        "customSuspendOptions": None,
        "stashStrategy": {"stashCR": False},
    }


def _couchbase(kind: str, **more: Any) -> dict[str, Any]:
    return _resource("couchbase.com", "v2", kind, **more)


_REPLICAS = ("spec.replicas", "int", "")

#: Stork's built-in registrations (``appregistration.GetSupportedCRD``), by object name, and
#: prometheus-operator's Alertmanager.
BUILTIN_RESOURCES: dict[str, list[dict[str, Any]]] = {
    "ibm": [
        _resource("ibp.com", "v1alpha1", kind, _REPLICAS)
        for kind in ("IBPCA", "IBPConsole", "IBPOrderer", "IBPPeer")
    ],
    "couchbase": [
        _couchbase("CouchbaseBucket"),
        _couchbase(
            "CouchbaseCluster",
            suspend=("spec.paused", "bool", ""),
            pods_path="status.members.ready",
        ),
        *(
            _couchbase(kind)
            for kind in (
                "CouchbaseEphemeralBucket",
                "CouchbaseMemcachedBucket",
                "CouchbaseReplication",
                "CouchbaseUser",
                "CouchbaseGroup",
                "CouchbaseRoleBinding",
                "CouchbaseBackup",
                "CouchbaseBackupRestore",
            )
        ),
    ],
    "cassandra": [
        _resource(
            "cassandra.datastax.com", "v1beta1", "CassandraDatacenter", ("spec.stopped", "bool", "")
        )
    ],
    "redis": [
        _resource("app.redislabs.com", "v1", "RedisEnterpriseCluster"),
        _resource("app.redislabs.com", "v1", "RedisEnterpriseDatabase"),
    ],
    "weblogic": [
        _resource("weblogic.oracle", "v8", "Domain", ("spec.serverStartPolicy", "string", "NEVER"))
    ],
    "rabbitmq": [_resource("rabbitmq.com", "v1beta1", "RabbitmqCluster", _REPLICAS)],
    "perconadb": [
        _resource("pxc.percona.com", "v1", "PerconaXtraDBCluster", ("spec.pause", "bool", ""))
    ],
    "prometheus": [_resource("monitoring.coreos.com", "v1", "Prometheus", _REPLICAS)],
    # Beyond Stork's list (a registration of its own, so that a cluster where Stork already
    # created "prometheus" gets it too): kube-prometheus runs one beside every Prometheus.
    "alertmanager": [_resource("monitoring.coreos.com", "v1", "Alertmanager", _REPLICAS)],
    "kafka": [
        _resource("kafka.strimzi.io", "v1beta2", "Kafka", ("spec.kafka.replicas", "int", ""))
    ],
    "postgress": [
        _resource("acid.zalan.do", "v1", "postgresql", ("spec.numberOfInstances", "int", ""))
    ],
    "mongodbcommunity": [
        _resource(
            "mongodbcommunity.mongodb.com", "v1", "MongoDBCommunity", ("spec.members", "int", "")
        )
    ],
    "virtualmachine": [
        _resource("kubevirt.io", "v1", "VirtualMachine", ("spec.runStrategy", "string", "Halted"))
    ],
}


def builtin_registrations() -> list[dict[str, Any]]:
    """Stork's built-in ApplicationRegistrations as objects to create (fresh copies)."""
    return [
        {
            "apiVersion": "stork.libopenstorage.org/v1alpha1",
            "kind": "ApplicationRegistration",
            "metadata": {"name": name},
            "resources": copy.deepcopy(resources),
        }
        for name, resources in BUILTIN_RESOURCES.items()
    ]
