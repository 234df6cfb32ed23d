"""Every transform, in order: what a source object looks like on the destination."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stork.migration.transform.jobs import clean_job
from stork.migration.transform.metadata import clean_metadata
from stork.migration.transform.rancher import map_projects
from stork.migration.transform.rbac import filter_subjects
from stork.migration.transform.service import clear_service_addresses
from stork.migration.transform.volumes import prepare_volume
from stork.migration.transform.workloads import scale_down

MIGRATED_ANNOTATION = "stork.libopenstorage.org/migrated"
MIGRATION_NAME_ANNOTATION = "stork.libopenstorage.org/migrationName"
MIGRATION_NAMESPACE_ANNOTATION = "stork.libopenstorage.org/migrationNamespace"
MIGRATION_TIME_ANNOTATION = "stork.libopenstorage.org/migrationTime"


@dataclass(frozen=True)
class TransformContext:
    """What the transforms need to know about the migration."""

    start_applications: bool = False
    project_mappings: Mapping[str, str] = field(default_factory=dict)
    namespaces: frozenset[str] = frozenset()
    skip_service_update: bool = False
    include_volumes: bool = False


def transform(obj: Mapping[str, Any], ctx: TransformContext) -> dict[str, Any]:
    """The destination form of ``obj`` (a new dict; ``obj`` is not modified).

    Order: metadata cleaned (identity, server fields, status); kind-specific changes (Service
    addresses, Job labels, ClusterRoleBinding subjects, PV/PVC binding); scale-down unless
    startApplications; Rancher project mapping last, so it sees every label we added.
    """
    out = clean_metadata(dict(obj))
    out = clear_service_addresses(out, ctx.skip_service_update)
    out = clean_job(out)
    out = filter_subjects(out, ctx.namespaces)
    out = prepare_volume(out)
    out = scale_down(out, ctx.start_applications)
    return map_projects(out, ctx.project_mappings)


def migration_annotations(name: str, namespace: str, when: dt.datetime) -> dict[str, str]:
    """Stork's per-migration annotations (time as Stork writes it, in the controller's zone)."""
    return {
        MIGRATED_ANNOTATION: "true",
        MIGRATION_NAME_ANNOTATION: name,
        MIGRATION_NAMESPACE_ANNOTATION: namespace,
        MIGRATION_TIME_ANNOTATION: when.astimezone().strftime("%Y-%m-%d-%H%M%S"),
    }
