"""MigrationSchedule: Migrations created from a template whenever a policy says so."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from stork.api.base import Conditions, KubeObject, OpenStorkModel, StorkModel
from stork.api.migration import MigrationSpec


class MigrationTemplate(StorkModel):
    """The template of the Migrations this schedule creates."""

    spec: MigrationSpec | None = None


class MigrationScheduleSpec(OpenStorkModel):
    """Template, policy and suspension."""

    template: MigrationTemplate | None = None
    schedule_policy_name: str | None = Field(
        None, description="SchedulePolicy, or NamespacedSchedulePolicy in this namespace."
    )
    suspend: bool | None = Field(None, description="Default false.")
    auto_suspend: bool | None = Field(
        None, description="Suspend when the destination's copy reports applicationActivated."
    )


class ScheduledMigrationStatus(OpenStorkModel):
    """One Migration this schedule created."""

    name: str | None = None
    creation_timestamp: datetime | None = None
    finish_timestamp: datetime | None = None
    status: str | None = None


class ScheduledItems(StorkModel):
    """Migrations per policy type: the last successful one and later ones."""

    interval: list[ScheduledMigrationStatus] | None = Field(None, alias="Interval")
    daily: list[ScheduledMigrationStatus] | None = Field(None, alias="Daily")
    weekly: list[ScheduledMigrationStatus] | None = Field(None, alias="Weekly")
    monthly: list[ScheduledMigrationStatus] | None = Field(None, alias="Monthly")


class MigrationScheduleStatusModel(OpenStorkModel):
    """Created Migrations and the destination copy's activation flag."""

    items: ScheduledItems | None = None
    application_activated: bool | None = None
    conditions: Conditions = None


class MigrationSchedule(KubeObject):
    """A schedule of Migrations."""

    spec: MigrationScheduleSpec | None = None
    status: MigrationScheduleStatusModel | None = None
