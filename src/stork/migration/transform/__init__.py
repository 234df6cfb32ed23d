"""Transforms (pure): what a source object becomes on the destination, one concern a module.

Objects are plain dicts as the API returns them. No function here does I/O or modifies its
input. Each per-concern function returns a new dict that may share the parts it leaves
unchanged with its input (treat both as read-only); :func:`transform`, which applies them all,
returns an object that shares nothing with its input.
"""

from stork.migration.transform.jobs import CONTROLLER_UID_LABELS, clean_job
from stork.migration.transform.metadata import CONTROLLER_ANNOTATIONS, clean_metadata
from stork.migration.transform.namespacemap import map_namespaces
from stork.migration.transform.operators import SuspendOption, suspend_rules
from stork.migration.transform.parking import PARKED_ANNOTATION
from stork.migration.transform.pipeline import (
    MIGRATED_ANNOTATION,
    MIGRATION_NAME_ANNOTATION,
    MIGRATION_NAMESPACE_ANNOTATION,
    MIGRATION_TIME_ANNOTATION,
    TransformContext,
    TransformInputs,
    migration_annotations,
    transform,
)
from stork.migration.transform.rancher import (
    is_project_key,
    map_or_drop,
    map_or_keep,
    map_projects,
    map_selector,
)
from stork.migration.transform.rbac import filter_subjects, subject_namespace
from stork.migration.transform.resource_transformation import (
    KindTransform,
    ResourceTransformError,
    TransformSpecError,
    parse_specs,
)
from stork.migration.transform.service import SKIP_MODIFY_ANNOTATION, clear_service_addresses
from stork.migration.transform.volumes import RECLAIM_POLICY_ANNOTATION, prepare_volume
from stork.migration.transform.workloads import (
    CRONJOB_SUSPEND_ANNOTATION,
    MIGRATED_LABEL,
    MIGRATION_REPLICAS_ANNOTATION,
    recorded_replicas,
    recorded_suspend,
    scale_down,
)

__all__ = [
    "CONTROLLER_ANNOTATIONS",
    "CONTROLLER_UID_LABELS",
    "CRONJOB_SUSPEND_ANNOTATION",
    "MIGRATED_ANNOTATION",
    "MIGRATED_LABEL",
    "MIGRATION_NAMESPACE_ANNOTATION",
    "MIGRATION_NAME_ANNOTATION",
    "MIGRATION_REPLICAS_ANNOTATION",
    "MIGRATION_TIME_ANNOTATION",
    "PARKED_ANNOTATION",
    "RECLAIM_POLICY_ANNOTATION",
    "SKIP_MODIFY_ANNOTATION",
    "KindTransform",
    "ResourceTransformError",
    "SuspendOption",
    "TransformContext",
    "TransformInputs",
    "TransformSpecError",
    "clean_job",
    "clean_metadata",
    "clear_service_addresses",
    "filter_subjects",
    "is_project_key",
    "map_namespaces",
    "map_or_drop",
    "map_or_keep",
    "map_projects",
    "map_selector",
    "migration_annotations",
    "parse_specs",
    "prepare_volume",
    "recorded_replicas",
    "recorded_suspend",
    "scale_down",
    "subject_namespace",
    "suspend_rules",
    "transform",
]
