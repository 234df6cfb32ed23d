"""A Migration's spec with Stork's defaults filled in (pure).

The fields are those of the CRD's model (``stork.api.migration.MigrationSpec``): the spec is
validated by that model, then defaulted as Stork's setDefaults does. Fields the CRD accepts but
this controller cannot honour yet are refused with a clear message, never ignored silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from stork.api.migration import MigrationSpec


class SpecError(ValueError):
    """The spec cannot be run as written; the message says which field and why."""


#: Fields the CRD keeps (Stork has them) that the controller refuses, with why.
UNSUPPORTED = {
    "admin_cluster_pair": (
        "spec.adminClusterPair is not supported: cluster-scoped objects and namespaces are "
        "written with the Migration's own clusterPair"
    ),
}


def _flag(value: bool | None, default: bool) -> bool:
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
    transform_specs: tuple[str, ...] = ()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> MigrationOptions:
        """Read a Migration's spec (nulls mean Stork's defaults); raises SpecError."""
        try:
            s = MigrationSpec.model_validate(dict(spec or {}))
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SpecError(f"spec.{where}: {first['msg']}") from None
        for name, message in UNSUPPORTED.items():
            if getattr(s, name):
                raise SpecError(message)
        excludes = dict(s.exclude_resources or {})
        excludes.update(s.exclude_selectors or {})
        return cls(
            cluster_pair=s.cluster_pair or "",
            namespaces=tuple(s.namespaces or ()),
            namespace_selectors=dict(s.namespace_selectors or {}),
            include_resources=_flag(s.include_resources, True),
            include_volumes=_flag(s.include_volumes, True),
            start_applications=_flag(s.start_applications, False),
            purge_deleted_resources=_flag(s.purge_deleted_resources, False),
            skip_service_update=_flag(s.skip_service_update, False),
            include_network_policy_with_cidr=_flag(s.include_network_policy_with_cidr, False),
            selectors=dict(s.selectors or {}),
            exclude_selectors=excludes,
            pre_exec_rule=s.pre_exec_rule or "",
            post_exec_rule=s.post_exec_rule or "",
            include_optional_resource_types=tuple(s.include_optional_resource_types or ()),
            skip_deleted_namespaces=_flag(s.skip_deleted_namespaces, True),
            ignore_owner_references_check=_flag(s.ignore_owner_references_check, False),
            exclude_resource_types=tuple(s.exclude_resource_types or ()),
            transform_specs=tuple(s.transform_specs or ()),
        )


def label_selector(labels: Mapping[str, str]) -> str | None:
    """``k1=v1,k2=v2`` (AND), or None when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or None
