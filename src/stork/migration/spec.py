"""A Migration's spec with Stork's defaults filled in (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _flag(spec: Mapping[str, Any], key: str, default: bool) -> bool:
    value = spec.get(key)
    return default if value is None else bool(value)


@dataclass(frozen=True)
class MigrationOptions:
    """The spec fields the engine uses, defaulted as Stork's setDefaults does."""

    cluster_pair: str
    namespaces: tuple[str, ...]
    namespace_selectors: Mapping[str, str] = field(default_factory=dict)
    include_resources: bool = True
    include_volumes: bool = True
    start_applications: bool = False
    purge_deleted_resources: bool = False
    skip_service_update: bool = False
    include_network_policy_with_cidr: bool = False
    selectors: Mapping[str, str] = field(default_factory=dict)
    exclude_selectors: Mapping[str, str] = field(default_factory=dict)
    pre_exec_rule: str = ""
    post_exec_rule: str = ""
    include_optional_resource_types: tuple[str, ...] = ()
    skip_deleted_namespaces: bool = True
    ignore_owner_references_check: bool = False
    exclude_resource_types: tuple[str, ...] = ()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> MigrationOptions:
        """Read a Migration's spec (nulls mean Stork's defaults)."""
        s = spec or {}
        excludes = dict(s.get("excludeResources") or {})
        excludes.update(s.get("excludeSelectors") or {})
        return cls(
            cluster_pair=str(s.get("clusterPair") or ""),
            namespaces=tuple(s.get("namespaces") or ()),
            namespace_selectors=dict(s.get("namespaceSelectors") or {}),
            include_resources=_flag(s, "includeResources", True),
            include_volumes=_flag(s, "includeVolumes", True),
            start_applications=_flag(s, "startApplications", False),
            purge_deleted_resources=_flag(s, "purgeDeletedResources", False),
            skip_service_update=_flag(s, "skipServiceUpdate", False),
            include_network_policy_with_cidr=_flag(s, "includeNetworkPolicyWithCIDR", False),
            selectors=dict(s.get("selectors") or {}),
            exclude_selectors=excludes,
            pre_exec_rule=str(s.get("preExecRule") or ""),
            post_exec_rule=str(s.get("postExecRule") or ""),
            include_optional_resource_types=tuple(s.get("includeOptionalResourceTypes") or ()),
            skip_deleted_namespaces=_flag(s, "skipDeletedNamespaces", True),
            ignore_owner_references_check=_flag(s, "ignoreOwnerReferencesCheck", False),
            exclude_resource_types=tuple(s.get("excludeResourceTypes") or ()),
        )


def label_selector(labels: Mapping[str, str]) -> str | None:
    """``k1=v1,k2=v2`` (AND), or None when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None
