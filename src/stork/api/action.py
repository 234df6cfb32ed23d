"""Action: one failover, failback or drill, driven stage by stage by the Action controller.

Stork's fields and values (``pkg/apis/stork/v1alpha1/action.go``), plus ours: the drill
(``actionType: drill``, ``drillParameter``, ``drillSummary``) and, in status, what the
controller did that a rollback or an auditor needs (the objects it scaled down and their
original values, the source schedule it suspended, the last-mile Migration, the drill report).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from stork.api.base import Conditions, KubeObject, OpenStorkModel, StorkModel


class ActionType(StrEnum):
    """Values of ``spec.actionType``."""

    NEARSYNC_FAILOVER = "nearsyncFailover"
    FAILOVER = "failover"
    FAILBACK = "failback"
    DRILL = "drill"


class ActionStage(StrEnum):
    """Values of ``status.stage`` (Stork's, then the drill's)."""

    INITIAL = ""
    SCALE_DOWN_DESTINATION = "ScaleDownDestination"
    SCALE_DOWN_SOURCE = "ScaleDownSource"
    SCALE_UP_DESTINATION = "ScaleUpDestination"
    SCALE_UP_SOURCE = "ScaleUpSource"
    LAST_MILE_MIGRATION = "LastMileMigration"
    WAIT_AFTER_SCALE_DOWN = "WaitAfterScaleDown"
    DRILL_COPY = "DrillCopy"
    DRILL_WAIT = "DrillWait"
    DRILL_TEARDOWN = "DrillTeardown"
    FINAL = "Final"


class ActionStatus(StrEnum):
    """Values of ``status.status`` and of each summary item's status."""

    INITIAL = ""
    SCHEDULED = "Scheduled"
    IN_PROGRESS = "In-Progress"
    FAILED = "Failed"
    SUCCESSFUL = "Successful"
    ROLLBACK_SUCCESSFUL = "RollbackSuccessful"
    ROLLBACK_FAILED = "RollbackFailed"


class FailoverParameter(StorkModel):
    """What to fail over."""

    failover_namespaces: list[str] | None = None
    migration_schedule_reference: str | None = Field(
        None, description="The MigrationSchedule (its static copy, on this cluster)."
    )
    skip_source_operations: bool | None = Field(
        None, description="Do nothing on the source: only scale up here."
    )


class FailbackParameter(StorkModel):
    """What to fail back."""

    failback_namespaces: list[str] | None = None
    migration_schedule_reference: str | None = None


class DrillParameter(StorkModel):
    """A drill: the standby copy brought up in <namespace>-<suffix> namespaces here."""

    drill_namespaces: list[str] | None = None
    migration_schedule_reference: str | None = None
    suffix: str | None = Field(None, description="Default drill.")
    keep: bool | None = Field(None, description="Leave the drill namespaces for inspection.")
    timeout_seconds: int | None = Field(
        None, ge=1, le=3600, description="How long to wait for Ready; default 300."
    )


class ActionParameter(StorkModel):
    """The parameters of the action's type."""

    failover_parameter: FailoverParameter | None = None
    failback_parameter: FailbackParameter | None = None
    drill_parameter: DrillParameter | None = None


class ActionSpec(StorkModel):
    """What to do."""

    action_type: str | None = Field(None, description="failover, failback, drill.")
    action_parameter: ActionParameter | None = None


class NamespaceSummary(OpenStorkModel):
    """The outcome in one namespace."""

    namespace: str | None = None
    status: str | None = None
    reason: str | None = None


class ActionSummary(OpenStorkModel):
    """Per-namespace outcomes, under the key of the action's type."""

    failover_summary: list[NamespaceSummary] | None = None
    failback_summary: list[NamespaceSummary] | None = None
    drill_summary: list[NamespaceSummary] | None = None


class ScaledObject(OpenStorkModel):
    """An object the controller scaled down, with the value it had (what a rollback restores)."""

    cluster: str | None = Field(None, description="source or destination.")
    namespace: str | None = None
    kind: str | None = None
    name: str | None = None
    replicas: int | None = None
    suspend: bool | None = None


class ScheduleRecord(OpenStorkModel):
    """A MigrationSchedule the controller suspended (resumed by a rollback)."""

    cluster: str | None = None
    namespace: str | None = None
    name: str | None = None
    was_suspended: bool | None = None


class WorkloadReport(OpenStorkModel):
    """One workload of a drill: Ready or not, and why not."""

    namespace: str | None = None
    kind: str | None = None
    name: str | None = None
    ready: bool | None = None
    reason: str | None = None


class DrillReport(OpenStorkModel):
    """What a drill copied, how long it took to come up and what did not."""

    namespaces: dict[str, str] | None = Field(None, description="Standby -> drill namespace.")
    objects: int | None = None
    refused: list[str] | None = Field(None, description="Objects the drill could not write.")
    notes: list[str] | None = Field(None, description="What the drill changed, and why.")
    workloads: list[WorkloadReport] | None = None
    ready_seconds: float | None = None
    torn_down: bool | None = None


class ActionStatusModel(OpenStorkModel):
    """Stage, status, per-namespace summary, and what the controller did."""

    stage: str | None = None
    status: str | None = None
    finish_timestamp: datetime | None = None
    summary: ActionSummary | None = None
    reason: str | None = None
    conditions: Conditions = None
    scaled_down: list[ScaledObject] | None = None
    suspended_schedule: ScheduleRecord | None = None
    deactivated_copies: list[ScheduleRecord] | None = Field(
        None, description="Static copies whose applicationActivated was cleared."
    )
    failed_stage: str | None = Field(None, description="The stage whose failure ended the action.")
    last_mile_migration: str | None = None
    drill: DrillReport | None = None


class Action(KubeObject):
    """A failover, failback or drill of a MigrationSchedule's namespaces."""

    spec: ActionSpec | None = None
    status: ActionStatusModel | None = None
