"""Transforms (pure): what a source object becomes on the destination, one concern a module."""

from stork.migration.transform.pipeline import TransformContext, migration_annotations, transform
from stork.migration.transform.workloads import (
    CRONJOB_SUSPEND_ANNOTATION,
    MIGRATED_LABEL,
    MIGRATION_REPLICAS_ANNOTATION,
)

__all__ = [
    "CRONJOB_SUSPEND_ANNOTATION",
    "MIGRATED_LABEL",
    "MIGRATION_REPLICAS_ANNOTATION",
    "TransformContext",
    "migration_annotations",
    "transform",
]
