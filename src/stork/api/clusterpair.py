"""ClusterPair: how the source cluster reaches the destination (its kubeconfig and options)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from stork.api.base import Conditions, KubeObject, OpenStorkModel, StorkModel


class RancherPlatformOptions(StorkModel):
    """Rancher specifics of a pair."""

    project_mappings: dict[str, str] | None = Field(
        None, description="Source Rancher project ID -> destination project ID."
    )


class PlatformOptions(StorkModel):
    """Platform specifics of a pair."""

    rancher: RancherPlatformOptions | None = None


class SecretKeyReference(StorkModel):
    """A key of a Secret in the object's own namespace."""

    name: str = Field(description="Name of the Secret (same namespace as the ClusterPair).")
    key: str | None = Field(None, description="Key of the kubeconfig in the Secret's data.")


class ClusterPairSpec(OpenStorkModel):
    """Destination credentials and pairing options."""

    config: dict[str, Any] | None = Field(
        None,
        description=(
            "kubeconfig of the destination, in client-go's internal layout (maps keyed by "
            "name, current-context) or the kubeconfig v1 layout (lists)."
        ),
    )
    config_secret_ref: SecretKeyReference | None = Field(
        None,
        description=(
            "Instead of config: a Secret of type stork.libopenstorage.org/kubeconfig in this "
            "namespace holding the destination's kubeconfig under key (default kubeconfig)."
        ),
    )
    options: dict[str, str] | None = Field(
        None, description="Storage pairing options; without a 'token' storage is NotProvided."
    )
    platform_options: PlatformOptions | None = None


class ClusterPairStatusModel(OpenStorkModel):
    """Reachability of the destination scheduler (Kubernetes) and storage."""

    scheduler_status: str | None = Field(None, description="'', Ready or Error.")
    storage_status: str | None = Field(None, description="NotProvided without a storage token.")
    remote_storage_id: str | None = None
    conditions: Conditions = None


class ClusterPair(KubeObject):
    """A pairing of this (source) cluster with a destination cluster."""

    spec: ClusterPairSpec | None = None
    status: ClusterPairStatusModel | None = None
