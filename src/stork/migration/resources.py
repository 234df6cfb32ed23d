"""Resource types found by API discovery, and which of them a migration collects (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stork.kube.discovery import ResourceType

#: Kinds Stork collects whatever their group (inventory §6.1).
SUPPORTED_KINDS = frozenset(
    {
        "PersistentVolumeClaim",
        "PersistentVolume",
        "Deployment",
        "DeploymentConfig",
        "StatefulSet",
        "ConfigMap",
        "Service",
        "Secret",
        "DaemonSet",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "ImageStream",
        "Ingress",
        "Route",
        "Template",
        "CronJob",
        "ResourceQuota",
        "ReplicaSet",
        "LimitRange",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Endpoints",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "PriorityClass",
        "HorizontalPodAutoscaler",
    }
)
OPTIONAL_KINDS = {"job": "Job", "jobs": "Job"}
#: Groups whose custom resources are never migrated (our own objects, snapshots...).
SKIPPED_CR_GROUPS = frozenset(
    {
        "stork.libopenstorage.org",
        "autopilot.libopenstorage.org",
        "core.libopenstorage.org",
        "volumesnapshot.external-storage.k8s.io",
        "kdmp.portworx.com",
    }
)


@dataclass(frozen=True)
class Selection:
    """What the Migration's spec says about resource types."""

    include_optional: frozenset[str] = frozenset()
    exclude_kinds: frozenset[str] = frozenset()
    volumes_only: bool = False

    @classmethod
    def from_spec(
        cls,
        include_optional: Iterable[str] | None,
        exclude_types: Iterable[str] | None,
        volumes_only: bool,
    ) -> Selection:
        """Normalise the spec's lists (Kinds compare case-insensitively, as in Stork)."""
        optional = frozenset(
            OPTIONAL_KINDS[t.lower()] for t in include_optional or () if t.lower() in OPTIONAL_KINDS
        )
        excluded = frozenset(t.lower() for t in exclude_types or ())
        return cls(optional, excluded, volumes_only)


def collected_types(
    types: Iterable[ResourceType], custom_groups: set[str], selection: Selection
) -> list[ResourceType]:
    """The resource types a migration lists, in a stable order.

    ``custom_groups`` are the API groups served by CustomResourceDefinitions: every namespaced
    custom resource is migrated (Stork registers every CRD), except Stork's own groups.
    """
    out = []
    for t in types:
        if t.kind == "VolumeSnapshot" or t.kind.lower() in selection.exclude_kinds:
            continue
        if selection.volumes_only:
            if t.kind in ("PersistentVolume", "PersistentVolumeClaim") and t.group == "":
                out.append(t)
            continue
        is_custom = t.group in custom_groups and t.group not in SKIPPED_CR_GROUPS
        if (
            (is_custom and t.namespaced)
            or t.kind in SUPPORTED_KINDS
            or t.kind in selection.include_optional
        ):
            out.append(t)
    return sorted(set(out))


def travelling_crds(crds: Iterable[Mapping[str, Any]], groups: set[str]) -> list[Mapping[str, Any]]:
    """The source's CustomResourceDefinitions that travel with custom resources of ``groups``
    (the API groups of the custom resources a migration takes).

    The one place that decides which CRDs a migration applies: the engine calls it with the
    groups of each batch of custom resources, before applying them (each CRD once).
    """
    return [c for c in crds if (c.get("spec") or {}).get("group") in groups]
