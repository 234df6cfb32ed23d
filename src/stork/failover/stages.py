"""The stage machine of an Action (pure): which stage follows which, and how it ends.

Failover, on the destination (the cluster failed over to), Stork's stages::

    Validations -> ScaleDownSource -> WaitAfterScaleDown -> LastMileMigration
                -> ScaleUpDestination -> Final

With the source skipped (``skipSourceOperations``, or a source that does not answer: the
disaster case) Validations goes straight to ScaleUpDestination. A failure once anything may
have been scaled down on the source goes to the rollback stage ScaleUpSource (the source scaled
up again), which always ends Final/Failed with the first failure's reason. Stork ends a failed
ScaleDownSource at once and a failed ScaleUpDestination too; here both roll back, since either
can leave the application stopped everywhere. A failed ScaleUpDestination without source steps
has nothing to roll back to and ends Final/Failed, with what did come up left running.

Failback mirrors it (run where the applications run now, the original destination)::

    Validations -> ScaleDownDestination -> WaitAfterScaleDown -> LastMileMigration
                -> ScaleUpSource -> Final          (rollback stage: ScaleUpDestination)

A drill (ours) never touches the source or the standby::

    Validations -> DrillCopy -> DrillWait -> DrillTeardown -> Final

its teardown runs after a failure too, and the drill ends Failed when anything failed
(including workloads that were not Ready before the timeout).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from stork.api.action import ActionStage, ActionStatus, ActionType

S = ActionStage


class Outcome(StrEnum):
    """What one stage's step came to."""

    DONE = "done"
    FAILED = "failed"
    #: Validations of a failover: the source steps are skipped (flag, or no answer).
    SKIP_SOURCE = "skip-source"


@dataclass(frozen=True)
class Flow:
    """The stages of one action type: the happy path, and where a failure leads."""

    path: tuple[ActionStage, ...]
    #: stage -> the stage a failure there leads to (absent: Final, Failed).
    on_failure: Mapping[ActionStage, ActionStage]
    #: stages that end the action whatever they come to (Final, Failed): rollbacks.
    rollbacks: frozenset[ActionStage] = frozenset()
    #: stages that end the action, Failed if anything failed before (teardown).
    cleanups: frozenset[ActionStage] = frozenset()


FLOWS: Mapping[ActionType, Flow] = {
    ActionType.FAILOVER: Flow(
        path=(
            S.INITIAL,
            S.SCALE_DOWN_SOURCE,
            S.WAIT_AFTER_SCALE_DOWN,
            S.LAST_MILE_MIGRATION,
            S.SCALE_UP_DESTINATION,
        ),
        on_failure={
            S.SCALE_DOWN_SOURCE: S.SCALE_UP_SOURCE,
            S.WAIT_AFTER_SCALE_DOWN: S.SCALE_UP_SOURCE,
            S.LAST_MILE_MIGRATION: S.SCALE_UP_SOURCE,
            S.SCALE_UP_DESTINATION: S.SCALE_UP_SOURCE,
        },
        rollbacks=frozenset({S.SCALE_UP_SOURCE}),
    ),
    ActionType.FAILBACK: Flow(
        path=(
            S.INITIAL,
            S.SCALE_DOWN_DESTINATION,
            S.WAIT_AFTER_SCALE_DOWN,
            S.LAST_MILE_MIGRATION,
            S.SCALE_UP_SOURCE,
        ),
        on_failure={
            S.SCALE_DOWN_DESTINATION: S.SCALE_UP_DESTINATION,
            S.WAIT_AFTER_SCALE_DOWN: S.SCALE_UP_DESTINATION,
            S.LAST_MILE_MIGRATION: S.SCALE_UP_DESTINATION,
            S.SCALE_UP_SOURCE: S.SCALE_UP_DESTINATION,
        },
        rollbacks=frozenset({S.SCALE_UP_DESTINATION}),
    ),
    ActionType.DRILL: Flow(
        path=(S.INITIAL, S.DRILL_COPY, S.DRILL_WAIT, S.DRILL_TEARDOWN),
        on_failure={S.DRILL_COPY: S.DRILL_TEARDOWN, S.DRILL_WAIT: S.DRILL_TEARDOWN},
        cleanups=frozenset({S.DRILL_TEARDOWN}),
    ),
}


class StageError(ValueError):
    """The action's type or stage is not one this machine knows."""


@dataclass(frozen=True)
class Transition:
    """Where the action goes: the next stage, its status, and the stage that failed (if any)."""

    stage: ActionStage
    status: ActionStatus
    failed_stage: ActionStage | None = None


def flow_of(action_type: str) -> Flow:
    """The flow of an action type (raises StageError for an unknown one)."""
    try:
        return FLOWS[ActionType(action_type)]
    except (ValueError, KeyError):
        raise StageError(
            f"invalid value received for Action.Spec.ActionType: {action_type!r}"
        ) from None


def parse_stage(stage: str | None) -> ActionStage:
    """A status.stage value as a stage (raises StageError for an unknown one)."""
    try:
        return ActionStage(stage or "")
    except ValueError:
        raise StageError(f"unknown stage {stage!r}") from None


def _final(failed_stage: ActionStage | None) -> Transition:
    status = ActionStatus.FAILED if failed_stage is not None else ActionStatus.SUCCESSFUL
    return Transition(S.FINAL, status, failed_stage)


def advance(
    action_type: str,
    stage: ActionStage,
    outcome: Outcome,
    failed_stage: ActionStage | None = None,
    source_skipped: bool = False,
) -> Transition:
    """The transition after ``stage`` came to ``outcome``.

    ``failed_stage`` is the stage that failed earlier (it is carried to Final);
    ``source_skipped`` says that no source step ran (then a failed ScaleUpDestination of a
    failover has nothing to roll back).
    """
    flow = flow_of(action_type)
    if stage == S.FINAL:
        raise StageError("a Final action does not advance")
    if stage in flow.rollbacks:
        return Transition(S.FINAL, ActionStatus.FAILED, failed_stage or stage)
    if stage in flow.cleanups:
        first = failed_stage or (stage if outcome is Outcome.FAILED else None)
        return _final(first)
    if stage not in flow.path:
        raise StageError(f"stage {stage.value!r} is not a stage of a {action_type}")
    if outcome is Outcome.SKIP_SOURCE:
        if action_type != ActionType.FAILOVER or stage != S.INITIAL:
            raise StageError("only a failover's validations may skip the source")
        return Transition(S.SCALE_UP_DESTINATION, ActionStatus.INITIAL)
    if outcome is Outcome.FAILED:
        target = flow.on_failure.get(stage)
        if target is None or (source_skipped and target == S.SCALE_UP_SOURCE):
            return Transition(S.FINAL, ActionStatus.FAILED, stage)
        return Transition(target, ActionStatus.INITIAL, stage)
    position = flow.path.index(stage)
    if position + 1 < len(flow.path):
        return Transition(flow.path[position + 1], ActionStatus.INITIAL, failed_stage)
    return _final(failed_stage)
