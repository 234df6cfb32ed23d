"""Every transform, in order: what a source object looks like on the destination."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from stork.api.applicationregistration import builtin_registrations
from stork.migration.transform._objects import Obj, get_in
from stork.migration.transform.jobs import clean_job
from stork.migration.transform.metadata import clean_metadata
from stork.migration.transform.namespacemap import map_namespaces
from stork.migration.transform.operators import (
    SuspendOption,
    suspend_custom_resource,
    suspend_rules,
)
from stork.migration.transform.rancher import map_projects
from stork.migration.transform.rbac import filter_subjects
from stork.migration.transform.resource_transformation import KindTransform, transform_resource
from stork.migration.transform.service import clear_service_addresses
from stork.migration.transform.standby import park_runners
from stork.migration.transform.volumes import prepare_volume
from stork.migration.transform.webhooks import park_webhooks
from stork.migration.transform.workloads import scale_down

#: Annotation ``"true"`` on every object a migration applies (a purge considers only these).
MIGRATED_ANNOTATION = "stork.libopenstorage.org/migrated"
MIGRATION_NAME_ANNOTATION = "stork.libopenstorage.org/migrationName"
MIGRATION_NAMESPACE_ANNOTATION = "stork.libopenstorage.org/migrationNamespace"
MIGRATION_TIME_ANNOTATION = "stork.libopenstorage.org/migrationTime"
#: Go's ``2006-01-02-150405``.
MIGRATION_TIME_FORMAT = "%Y-%m-%d-%H%M%S"


#: Stork's built-in ApplicationRegistrations' suspend options (when none were looked up).
BUILTIN_SUSPEND_RULES = MappingProxyType(suspend_rules(builtin_registrations()))


@dataclass(frozen=True)
class TransformInputs:
    """What the controller looks up before a migration, for the transforms.

    ``suspend_rules``: the ApplicationRegistrations' suspend options by (group, kind);
    ``transforms``: the ResourceTransformation named by the Migration, per namespace;
    ``live_services``: (namespace, name) of the destination's Services with a ready endpoint.
    """

    suspend_rules: Mapping[tuple[str, str], tuple[SuspendOption, ...]] = field(
        default_factory=lambda: BUILTIN_SUSPEND_RULES
    )
    transforms: Mapping[str, tuple[KindTransform, ...]] = field(default_factory=dict)
    live_services: frozenset[tuple[str, str]] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "suspend_rules", MappingProxyType(dict(self.suspend_rules)))
        object.__setattr__(self, "transforms", MappingProxyType(dict(self.transforms)))
        object.__setattr__(self, "live_services", frozenset(self.live_services))

    def fingerprint(self) -> str:
        """Everything here that shapes a transformed object, as a stable string."""
        return repr(
            (
                sorted(self.suspend_rules.items()),
                sorted(self.transforms.items()),
                sorted(self.live_services),
            )
        )


@dataclass(frozen=True)
class TransformContext:
    """What the transforms need to know about the migration.

    ``project_mappings`` is the ClusterPair's Rancher ``projectMappings`` (copied, read-only);
    ``namespaces`` are the migrated namespaces. ``include_volumes`` changes no transform (PVs
    are ``Retain`` either way, see ``volumes``); it is here so that the context describes the
    migration completely.
    """

    start_applications: bool = False
    project_mappings: Mapping[str, str] = field(default_factory=dict)
    namespaces: frozenset[str] = frozenset()
    skip_service_update: bool = False
    include_volumes: bool = False
    inputs: TransformInputs = field(default_factory=TransformInputs)
    namespace_mapping: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "project_mappings", MappingProxyType(dict(self.project_mappings)))
        mapping = MappingProxyType(dict(self.namespace_mapping))
        object.__setattr__(self, "namespace_mapping", mapping)
        object.__setattr__(self, "namespaces", frozenset(self.namespaces))


def transform(obj: Mapping[str, Any], ctx: TransformContext) -> Obj:
    """The destination form of the source object ``obj``; ``obj`` is not modified, and the
    result shares nothing with it. No content hash and no per-migration annotations here.
    Raises ``ResourceTransformError`` (a MigrationError) when the Migration's
    ResourceTransformation does not fit the object.

    Order:

    1. ``clean_metadata``: metadata reduced, ``status`` dropped; its deep copy is what makes
       the result independent of ``obj`` (the later steps copy only what they change).
    2. Per kind, each a no-op for other kinds: ``clear_service_addresses`` (Service),
       ``clean_job`` (Job), ``filter_subjects`` (ClusterRoleBinding), ``prepare_volume``
       (PersistentVolume, PersistentVolumeClaim).
    3. ``transform_resource``: the user's ResourceTransformation of the object's namespace,
       before anything is parked, so that what is recorded is what the user wants there.
    4. The standby stays inert: ``scale_down`` (workloads, CronJobs), ``park_runners`` (Jobs,
       DaemonSets), ``suspend_custom_resource`` (registered kinds), ``park_webhooks``
       (webhook configurations without a backend there); each records what it changed.
    5. ``map_namespaces`` (only with a ``namespace_mapping``), after ``filter_subjects``, which
       selects subjects by their source namespace, and after the parking, which records what
       the source had.
    6. ``map_projects`` last, so that it sees the final labels and annotations.
    """
    start = ctx.start_applications
    out = clean_metadata(obj)
    out = clear_service_addresses(out, ctx.skip_service_update)
    out = clean_job(out)
    out = filter_subjects(out, ctx.namespaces)
    out = prepare_volume(out)
    namespace = get_in(out, "metadata", "namespace")
    if isinstance(namespace, str) and namespace in ctx.inputs.transforms:
        out = transform_resource(out, ctx.inputs.transforms[namespace])
    out = scale_down(out, start)
    out = park_runners(out, start)
    out = suspend_custom_resource(out, ctx.inputs.suspend_rules, start)
    out = park_webhooks(out, ctx.namespaces, ctx.inputs.live_services, start)
    out = map_namespaces(out, ctx.namespace_mapping)
    return map_projects(out, ctx.project_mappings)


def migration_annotations(name: str, namespace: str, time: dt.datetime) -> dict[str, str]:
    """Stork's annotations on every object a migration applies.

    ``time`` is written in the controller's local time zone, as Stork does (a naive datetime is
    taken as local time already), in Go's ``2006-01-02-150405`` layout.
    """
    return {
        MIGRATED_ANNOTATION: "true",
        MIGRATION_NAME_ANNOTATION: name,
        MIGRATION_NAMESPACE_ANNOTATION: namespace,
        MIGRATION_TIME_ANNOTATION: time.astimezone().strftime(MIGRATION_TIME_FORMAT),
    }
