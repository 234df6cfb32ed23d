"""Migration: one copy of the resources of some namespaces to the destination."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from stork.api.base import Conditions, KubeObject, ObjectOutcome, OpenStorkModel


class MigrationSpec(OpenStorkModel):
    """What to migrate and how (Stork's fields and defaults)."""

    cluster_pair: str | None = Field(None, description="ClusterPair in this namespace.")
    admin_cluster_pair: str | None = None
    namespaces: list[str] | None = None
    namespace_selectors: dict[str, str] | None = None
    include_resources: bool | None = Field(None, description="Default true.")
    include_volumes: bool | None = Field(None, description="Default true.")
    start_applications: bool | None = Field(None, description="Default false.")
    purge_deleted_resources: bool | None = None
    skip_service_update: bool | None = None
    include_network_policy_with_cidr: bool | None = Field(
        None, alias="includeNetworkPolicyWithCIDR"
    )
    selectors: dict[str, str] | None = None
    exclude_selectors: dict[str, str] | None = None
    exclude_resources: dict[str, str] | None = Field(
        None, description="Older Stork name of excludeSelectors."
    )
    pre_exec_rule: str | None = None
    post_exec_rule: str | None = None
    include_optional_resource_types: list[str] | None = None
    skip_deleted_namespaces: bool | None = Field(None, description="Default true.")
    transform_specs: list[str] | None = None
    ignore_owner_references_check: bool | None = None
    exclude_resource_types: list[str] | None = None


class MigrationResourceInfo(ObjectOutcome):
    """One resource of the migration and what became of it."""

    transformed_by: str | None = None


class MigrationVolumeInfo(OpenStorkModel):
    """One volume of the migration (storage drivers only)."""

    persistent_volume_claim: str | None = None
    namespace: str | None = None
    volume: str | None = None
    status: str | None = None
    bytes_total: int | None = None
    reason: str | None = None


class MigrationSummary(OpenStorkModel):
    """Counts and durations, recomputed on every status write."""

    total_number_of_volumes: int | None = None
    num_of_migrated_volumes: int | None = None
    total_number_of_resources: int | None = None
    num_of_migrated_resources: int | None = None
    total_bytes_migrated: int | None = None
    elapsed_time_for_volume_migration: str | None = None
    elapsed_time_for_resource_migration: str | None = None


class MigrationStatusModel(OpenStorkModel):
    """Stage, status, per-resource ledger and summary."""

    stage: str | None = None
    status: str | None = None
    resources: list[MigrationResourceInfo] | None = None
    volumes: list[MigrationVolumeInfo] | None = None
    finish_timestamp: datetime | None = None
    volume_migration_finish_timestamp: datetime | None = None
    resource_migration_finish_timestamp: datetime | None = None
    summary: MigrationSummary | None = None
    conditions: Conditions = None


class Migration(KubeObject):
    """A migration of namespaces to the destination of a ClusterPair."""

    spec: MigrationSpec | None = None
    status: MigrationStatusModel | None = None
