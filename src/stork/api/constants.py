"""Names Stork's API uses: group, version, annotations, labels and status values."""

from __future__ import annotations

from enum import StrEnum

GROUP = "stork.libopenstorage.org"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

#: Field manager of every server-side apply this project makes.
FIELD_MANAGER = "stork"

ANNOTATION_PREFIX = "stork.libopenstorage.org/"
MIGRATION_REPLICAS_ANNOTATION = "stork.openstorage.org/migrationReplicas"
# The name Stork's code writes (its documentation says the one above); read as a fallback so
# that workloads migrated by Stork itself can be activated by us.
STORK_MIGRATION_REPLICAS_ANNOTATION = "stork.libopenstorage.org/migrationReplicas"
FINALIZER = "stork.libopenstorage.org/finalizer-cleanup"
SCHEDULE_ANNOTATION = "stork.libopenstorage.org/migration-schedule-name"
STATIC_COPY_ANNOTATION = "stork.libopenstorage.org/static-copy"
#: The type a Secret must have to hold a ClusterPair's kubeconfig (``spec.configSecretRef``):
#: its author made it for pairs, so a pair can never borrow an unrelated Secret's content.
PAIR_SECRET_TYPE = "stork.libopenstorage.org/kubeconfig"  # noqa: S105 - a type, not a secret
PAIR_SECRET_DEFAULT_KEY = "kubeconfig"  # noqa: S105 - a key name


class ClusterPairStatus(StrEnum):
    """Values of ClusterPair ``status.schedulerStatus`` and ``status.storageStatus``."""

    INITIAL = ""
    PENDING = "Pending"
    READY = "Ready"
    ERROR = "Error"
    DEGRADED = "Degraded"
    DELETING = "Deleting"
    NOT_PROVIDED = "NotProvided"


class MigrationStatus(StrEnum):
    """Values of Migration ``status.status`` (and of each resource's status)."""

    INITIAL = ""
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    PARTIAL_SUCCESS = "PartialSuccess"
    SUCCESSFUL = "Successful"
    PURGED = "Purged"


class MigrationStage(StrEnum):
    """Values of Migration ``status.stage``."""

    INITIAL = ""
    PRE_EXEC_RULE = "PreExecRule"
    POST_EXEC_RULE = "PostExecRule"
    VOLUMES = "Volumes"
    APPLICATIONS = "Applications"
    FINAL = "Final"


class PolicyType(StrEnum):
    """Schedule policy types, as keys of MigrationSchedule ``status.items``."""

    INTERVAL = "Interval"
    DAILY = "Daily"
    WEEKLY = "Weekly"
    MONTHLY = "Monthly"
