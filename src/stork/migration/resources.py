"""Resource types found by API discovery, which of them a migration collects, and which CRDs
travel with them (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
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


#: Categories that say nothing about belonging together (Stork ignores the same ones).
IGNORED_CATEGORIES = frozenset({"all", "olm", "coreoperators"})


def _group_and_categories(crd: Mapping[str, Any]) -> tuple[str, frozenset[str]]:
    spec = crd.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    group = spec.get("group")
    names = spec.get("names")
    found = names.get("categories") if isinstance(names, Mapping) else None
    categories = frozenset(
        c
        for c in (found if isinstance(found, list) else [])
        if isinstance(c, str) and c.lower() not in IGNORED_CATEGORIES
    )
    return group if isinstance(group, str) else "", categories


def crd_family(crds: Iterable[Mapping[str, Any]], groups: Set[str]) -> list[Mapping[str, Any]]:
    """The CRDs that travel with custom resources of ``groups``, in their given order.

    Every CRD of those groups, and the CRDs that belong with them: a CRD sharing a category
    (``spec.names.categories``, except ``all``, ``olm`` and ``coreoperators``) or a group with
    one that travels, until nothing more is added. So cert-manager's
    ``challenges.acme.cert-manager.io`` and ``orders.acme.cert-manager.io`` (category
    ``cert-manager``) travel with its Certificates even while they have no objects (Stork adds
    the CRDs sharing a category with those of the collected groups, one step). Stork's own
    groups never travel.
    """
    candidates = [
        (crd, *_group_and_categories(crd))
        for crd in crds
        if _group_and_categories(crd)[0] not in SKIPPED_CR_GROUPS
    ]
    wanted_groups = set(groups)
    wanted_categories: set[str] = set()
    chosen: set[int] = set()
    grew = True
    while grew:
        grew = False
        for i, (_, group, categories) in enumerate(candidates):
            if i in chosen or not (group in wanted_groups or categories & wanted_categories):
                continue
            chosen.add(i)
            wanted_groups.add(group)
            wanted_categories |= categories
            grew = True
    return [crd for i, (crd, _, _) in enumerate(candidates) if i in chosen]


def travelling_crds(crds: Iterable[Mapping[str, Any]], groups: Set[str]) -> list[Mapping[str, Any]]:
    """The source's CustomResourceDefinitions that travel with custom resources of ``groups``
    (the API groups of the custom resources a migration takes): ``crd_family``.

    The one place that decides which CRDs a migration applies: the engine calls it with the
    groups of each batch of custom resources, before applying them (each CRD once).
    """
    return crd_family(crds, groups)
