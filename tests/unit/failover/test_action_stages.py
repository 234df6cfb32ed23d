"""The Action stage machine: every stage, every outcome, for every action type."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.api.action import ActionStage, ActionStatus, ActionType
from stork.failover.stages import FLOWS, Outcome, StageError, Transition, advance, parse_stage

S, ST, OC = ActionStage, ActionStatus, Outcome
FO, FB, DR = ActionType.FAILOVER, ActionType.FAILBACK, ActionType.DRILL

#: (type, stage, outcome, failed_stage, source_skipped) -> transition: the whole specification.
TABLE: list[tuple[ActionType, ActionStage, Outcome, ActionStage | None, bool, Transition]] = [
    # failover, happy path
    (FO, S.INITIAL, OC.DONE, None, False, Transition(S.SCALE_DOWN_SOURCE, ST.INITIAL)),
    (FO, S.SCALE_DOWN_SOURCE, OC.DONE, None, False, Transition(S.WAIT_AFTER_SCALE_DOWN, ST.INITIAL)),
    (FO, S.WAIT_AFTER_SCALE_DOWN, OC.DONE, None, False, Transition(S.LAST_MILE_MIGRATION, ST.INITIAL)),
    (FO, S.LAST_MILE_MIGRATION, OC.DONE, None, False, Transition(S.SCALE_UP_DESTINATION, ST.INITIAL)),
    (FO, S.SCALE_UP_DESTINATION, OC.DONE, None, False, Transition(S.FINAL, ST.SUCCESSFUL)),
    # failover: the source skipped (flag, or no answer)
    (FO, S.INITIAL, OC.SKIP_SOURCE, None, False, Transition(S.SCALE_UP_DESTINATION, ST.INITIAL)),
    (FO, S.SCALE_UP_DESTINATION, OC.DONE, None, True, Transition(S.FINAL, ST.SUCCESSFUL)),
    (FO, S.SCALE_UP_DESTINATION, OC.FAILED, None, True,
     Transition(S.FINAL, ST.FAILED, S.SCALE_UP_DESTINATION)),
    # failover: failures
    (FO, S.INITIAL, OC.FAILED, None, False, Transition(S.FINAL, ST.FAILED, S.INITIAL)),
    (FO, S.SCALE_DOWN_SOURCE, OC.FAILED, None, False,
     Transition(S.SCALE_UP_SOURCE, ST.INITIAL, S.SCALE_DOWN_SOURCE)),
    (FO, S.WAIT_AFTER_SCALE_DOWN, OC.FAILED, None, False,
     Transition(S.SCALE_UP_SOURCE, ST.INITIAL, S.WAIT_AFTER_SCALE_DOWN)),
    (FO, S.LAST_MILE_MIGRATION, OC.FAILED, None, False,
     Transition(S.SCALE_UP_SOURCE, ST.INITIAL, S.LAST_MILE_MIGRATION)),
    (FO, S.SCALE_UP_DESTINATION, OC.FAILED, None, False,
     Transition(S.SCALE_UP_SOURCE, ST.INITIAL, S.SCALE_UP_DESTINATION)),
    # failover: the rollback ends the action Failed, whatever it came to
    (FO, S.SCALE_UP_SOURCE, OC.DONE, S.LAST_MILE_MIGRATION, False,
     Transition(S.FINAL, ST.FAILED, S.LAST_MILE_MIGRATION)),
    (FO, S.SCALE_UP_SOURCE, OC.FAILED, S.LAST_MILE_MIGRATION, False,
     Transition(S.FINAL, ST.FAILED, S.LAST_MILE_MIGRATION)),
    # failback
    (FB, S.INITIAL, OC.DONE, None, False, Transition(S.SCALE_DOWN_DESTINATION, ST.INITIAL)),
    (FB, S.SCALE_DOWN_DESTINATION, OC.DONE, None, False,
     Transition(S.WAIT_AFTER_SCALE_DOWN, ST.INITIAL)),
    (FB, S.WAIT_AFTER_SCALE_DOWN, OC.DONE, None, False, Transition(S.LAST_MILE_MIGRATION, ST.INITIAL)),
    (FB, S.LAST_MILE_MIGRATION, OC.DONE, None, False, Transition(S.SCALE_UP_SOURCE, ST.INITIAL)),
    (FB, S.SCALE_UP_SOURCE, OC.DONE, None, False, Transition(S.FINAL, ST.SUCCESSFUL)),
    (FB, S.INITIAL, OC.FAILED, None, False, Transition(S.FINAL, ST.FAILED, S.INITIAL)),
    (FB, S.SCALE_DOWN_DESTINATION, OC.FAILED, None, False,
     Transition(S.SCALE_UP_DESTINATION, ST.INITIAL, S.SCALE_DOWN_DESTINATION)),
    (FB, S.WAIT_AFTER_SCALE_DOWN, OC.FAILED, None, False,
     Transition(S.SCALE_UP_DESTINATION, ST.INITIAL, S.WAIT_AFTER_SCALE_DOWN)),
    (FB, S.LAST_MILE_MIGRATION, OC.FAILED, None, False,
     Transition(S.SCALE_UP_DESTINATION, ST.INITIAL, S.LAST_MILE_MIGRATION)),
    (FB, S.SCALE_UP_SOURCE, OC.FAILED, None, False,
     Transition(S.SCALE_UP_DESTINATION, ST.INITIAL, S.SCALE_UP_SOURCE)),
    (FB, S.SCALE_UP_DESTINATION, OC.DONE, S.LAST_MILE_MIGRATION, False,
     Transition(S.FINAL, ST.FAILED, S.LAST_MILE_MIGRATION)),
    (FB, S.SCALE_UP_DESTINATION, OC.FAILED, S.SCALE_UP_SOURCE, False,
     Transition(S.FINAL, ST.FAILED, S.SCALE_UP_SOURCE)),
    # drill
    (DR, S.INITIAL, OC.DONE, None, False, Transition(S.DRILL_COPY, ST.INITIAL)),
    (DR, S.DRILL_COPY, OC.DONE, None, False, Transition(S.DRILL_WAIT, ST.INITIAL)),
    (DR, S.DRILL_WAIT, OC.DONE, None, False, Transition(S.DRILL_TEARDOWN, ST.INITIAL)),
    (DR, S.DRILL_TEARDOWN, OC.DONE, None, False, Transition(S.FINAL, ST.SUCCESSFUL)),
    (DR, S.INITIAL, OC.FAILED, None, False, Transition(S.FINAL, ST.FAILED, S.INITIAL)),
    (DR, S.DRILL_COPY, OC.FAILED, None, False,
     Transition(S.DRILL_TEARDOWN, ST.INITIAL, S.DRILL_COPY)),
    (DR, S.DRILL_WAIT, OC.FAILED, None, False,
     Transition(S.DRILL_TEARDOWN, ST.INITIAL, S.DRILL_WAIT)),
    (DR, S.DRILL_TEARDOWN, OC.DONE, S.DRILL_WAIT, False, Transition(S.FINAL, ST.FAILED, S.DRILL_WAIT)),
    (DR, S.DRILL_TEARDOWN, OC.FAILED, None, False,
     Transition(S.FINAL, ST.FAILED, S.DRILL_TEARDOWN)),
    (DR, S.DRILL_TEARDOWN, OC.FAILED, S.DRILL_COPY, False,
     Transition(S.FINAL, ST.FAILED, S.DRILL_COPY)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("action_type", "stage", "outcome", "failed_stage", "skipped", "expected"), TABLE
)
def test_transition(
    action_type: ActionType,
    stage: ActionStage,
    outcome: Outcome,
    failed_stage: ActionStage | None,
    skipped: bool,
    expected: Transition,
) -> None:
    assert advance(action_type, stage, outcome, failed_stage, skipped) == expected


def _stages(action_type: ActionType) -> set[ActionStage]:
    flow = FLOWS[action_type]
    return {*flow.path, *flow.rollbacks, *flow.cleanups}


def test_the_table_covers_every_stage_and_outcome_of_every_flow() -> None:
    covered = {(t, s, o) for t, s, o, *_ in TABLE}
    for action_type in FLOWS:
        for stage in _stages(action_type):
            for outcome in (OC.DONE, OC.FAILED):
                assert (action_type, stage, outcome) in covered, (action_type, stage, outcome)


@pytest.mark.parametrize("action_type", list(FLOWS))
def test_a_stage_of_another_flow_or_final_does_not_advance(action_type: ActionType) -> None:
    for stage in set(ActionStage) - _stages(action_type):
        with pytest.raises(StageError):
            advance(action_type, stage, OC.DONE)


@pytest.mark.parametrize(
    ("action_type", "stage"),
    [(FB, S.INITIAL), (DR, S.INITIAL), (FO, S.SCALE_DOWN_SOURCE), (FO, S.LAST_MILE_MIGRATION)],
)
def test_only_a_failovers_validations_may_skip_the_source(
    action_type: ActionType, stage: ActionStage
) -> None:
    with pytest.raises(StageError, match="only a failover"):
        advance(action_type, stage, OC.SKIP_SOURCE)


def test_unknown_types_and_stages_are_refused_with_stork_s_message() -> None:
    with pytest.raises(StageError, match=r"invalid value received for Action\.Spec\.ActionType"):
        advance("nearsyncFailover", S.INITIAL, OC.DONE)
    with pytest.raises(StageError, match="invalid value received"):
        advance("", S.INITIAL, OC.DONE)
    with pytest.raises(StageError, match="unknown stage 'Bogus'"):
        parse_stage("Bogus")
    assert parse_stage(None) is S.INITIAL
    assert parse_stage("Final") is S.FINAL


def _run(action_type: ActionType, outcomes: list[Outcome]) -> list[Transition]:
    """Drive a flow from Validations with ``outcomes`` (DONE once they run out)."""
    stage, failed, skipped, seen = S.INITIAL, None, False, []
    todo = list(outcomes)
    for _ in range(20):
        outcome = todo.pop(0) if todo else OC.DONE
        if outcome is OC.SKIP_SOURCE and not (action_type is FO and stage is S.INITIAL):
            outcome = OC.DONE
        skipped = skipped or outcome is OC.SKIP_SOURCE
        step = advance(action_type, stage, outcome, failed, skipped)
        seen.append(step)
        if step.stage is S.FINAL:
            return seen
        stage, failed = step.stage, step.failed_stage
    raise AssertionError("the flow did not end")


@given(
    st.sampled_from(list(FLOWS)),
    st.lists(st.sampled_from([OC.DONE, OC.FAILED, OC.SKIP_SOURCE]), max_size=8),
)
def test_every_run_ends_final_and_failed_exactly_when_something_failed(
    action_type: ActionType, outcomes: list[Outcome]
) -> None:
    steps = _run(action_type, outcomes)
    last = steps[-1]
    assert last.stage is S.FINAL
    assert (last.status is ST.FAILED) == (last.failed_stage is not None)
    visited = [s.stage for s in steps]
    assert len(visited) == len(set(visited))  # no stage is run twice


@given(st.lists(st.sampled_from([OC.DONE, OC.FAILED]), max_size=6))
def test_a_failover_rolls_the_source_back_exactly_when_a_source_step_ran_and_something_failed(
    outcomes: list[Outcome],
) -> None:
    steps = _run(FO, outcomes)
    rolled_back = any(s.stage is S.SCALE_UP_SOURCE for s in steps)
    failed_at = steps[-1].failed_stage
    assert rolled_back == (failed_at not in (None, S.INITIAL))


def test_a_failover_without_its_source_never_rolls_back() -> None:
    for outcomes in ([OC.SKIP_SOURCE], [OC.SKIP_SOURCE, OC.FAILED]):
        steps = _run(FO, outcomes)
        assert S.SCALE_UP_SOURCE not in [s.stage for s in steps]
        assert [s.stage for s in steps] == [S.SCALE_UP_DESTINATION, S.FINAL]
