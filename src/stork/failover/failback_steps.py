"""The steps of a failback, run where the applications run now (the original destination).

``-m`` names a MigrationSchedule of this cluster, in one of two ways:

- **its static copy** (the schedule the failover used; no reverse schedule needed): the
  last-mile Migration is made from the copy's template, whose ClusterPair name is, on this
  cluster, the reverse pair; the source's schedule of the same name is kept suspended during
  the failback and **resumed** at its end, once the static copy here no longer says
  ``applicationActivated`` (else it would suspend itself again);
- **a reverse schedule** (Stork's way: destination -> source): Stork's checks first (its latest
  migration must exist, not have failed, be complete and recent, within the policy's
  interval), then it is suspended, and left suspended.

A failback needs the source: one that does not answer fails the failback at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from stork.api.action import ActionStage, ActionType
from stork.api.timestamps import parse_time
from stork.failover.clusters import SCHEDULES, Side
from stork.failover.dr import (
    Resolved,
    describe,
    last_mile,
    latest_migration,
    leave,
    mark_static_copies,
    recorded,
    records_of,
    resolve,
    restore,
    rollback_summary,
    scale_to_standby,
    scale_up,
    set_suspend,
    source_side,
    wait_scaled_down,
    with_source,
)
from stork.failover.perform import is_static_copy
from stork.failover.stages import Outcome
from stork.failover.steps import (
    DESTINATION,
    SOURCE,
    Env,
    Run,
    StepResult,
    StepTable,
    done,
    failed,
    waiting,
)
from stork.kube.rest import RestError
from stork.schedule.rpo import expected_interval

S = ActionStage
_RUNNING = ("", "Pending", "InProgress")


async def validate(run: Run, env: Env) -> StepResult:
    """The namespaces, the reverse pair and the source; the schedule to keep still."""
    res = await resolve(run, env)
    if isinstance(res, StepResult):
        return res
    meta = res.schedule.get("metadata") or {}
    if any(n not in res.migrated for n in run.namespaces):
        return failed(
            "The namespaces specified for failback are not contained within the namespaces "
            f"listed in MigrationSchedule {meta.get('namespace')}/{meta.get('name')}"
        )
    got = await with_source(run, env)
    if isinstance(got, StepResult):
        return got
    res, source = got
    pair = await env.pair(run.namespace, res.pair_name)
    answered, said = await env.probe(pair or {})
    if not answered:
        return failed(
            f"Unable to access the remote cluster {source.host}: {said}. A failback needs the "
            "source cluster"
        )
    if is_static_copy(res.schedule):
        return await _hold(run, source, SOURCE, env)
    return await _check_reverse_schedule(run, env, res)


async def _hold(run: Run, side: Side, cluster: str, env: Env) -> StepResult:
    """Suspend the schedule ``-m`` names on ``side`` (recorded first, for a rollback)."""
    ns, name = run.namespace, run.schedule_name
    try:
        schedule = await side.get(SCHEDULES, ns, name)
        if schedule is None or (cluster == SOURCE and is_static_copy(schedule)):
            return done("no schedule to suspend on the source")
        suspended = bool((schedule.get("spec") or {}).get("suspend"))
        record = run.status.get("suspendedSchedule")
        if not isinstance(record, Mapping) or record.get("cluster") != cluster:
            record = {"cluster": cluster, "namespace": ns, "name": name, "wasSuspended": suspended}
            return waiting("recording the schedule", 0.0, suspendedSchedule=record)
        if not suspended:
            await set_suspend(side, ns, name, True)
    except (RestError, httpx2.HTTPError) as e:
        return failed(f"Error suspending MigrationSchedule {ns}/{name}: {describe(e)}")
    return done(
        f"MigrationSchedule {ns}/{name} is being suspended prior to executing the failback "
        "operation"
    )


async def _check_reverse_schedule(run: Run, env: Env, res: Resolved) -> StepResult:
    """Stork's checks of a reverse schedule's latest migration, then it is suspended."""
    meta = res.schedule.get("metadata") or {}
    full = f"{meta.get('namespace')}/{meta.get('name')}"
    latest = latest_migration(res.schedule)
    if latest is None:
        return failed(
            f"No migration detected for MigrationSchedule {full}, resulting in the abortion of "
            "the failback operation."
        )
    name = latest.get("name")
    if latest.get("status") == "Failed":
        return failed(f"The latest migration {name} is in Failed state, hence aborting failback")
    if latest.get("status") in _RUNNING:
        result = waiting(f"Pending completion of migration {name}", env.poll)
        result.waiting_status = "Scheduled"
        return result
    policy = await env.policy(
        run.namespace, str((res.schedule.get("spec") or {}).get("schedulePolicyName") or "")
    )
    interval = expected_interval(policy)
    finished = parse_time(latest.get("finishTimestamp"))
    if interval is None or finished is None or (run.now - finished).total_seconds() > interval:
        return failed(
            f"Failback operation failed due to migration {name} not completing within the "
            "scheduled policy duration"
        )
    return await _hold(run, env.local, DESTINATION, env)


async def scale_down_destination(run: Run, env: Env) -> StepResult:
    """Plan (recorded first), then stop here what the source will start."""
    got = await with_source(run, env)
    if isinstance(got, StepResult):
        return got
    res, source = got
    return await leave(run, env, env.local, source, res)


async def wait_destination(run: Run, env: Env) -> StepResult:
    """Wait until nothing of what was stopped here still runs."""
    res = await resolve(run, env)
    if isinstance(res, StepResult):
        return res
    return await wait_scaled_down(run, env, env.local, res)


async def last_mile_to_source(run: Run, env: Env) -> StepResult:
    """The last-mile Migration, created here; this cluster's controller runs it to the source."""
    res = await resolve(run, env)
    if isinstance(res, StepResult):
        return res
    return await last_mile(run, env, env.local, res, "failback")


async def scale_up_source(run: Run, env: Env) -> StepResult:
    """Start the applications on the source, then resume its schedule (static-copy flow)."""
    got = await with_source(run, env)
    if isinstance(got, StepResult):
        return got
    res, source = got
    try:
        items, activated = await scale_up(run, source, res)
    except (RestError, httpx2.HTTPError, OSError) as e:
        return failed(
            f"Scaling up of applications in cluster : {source.host} failed: {describe(e)}"
        )
    summary = {"failbackSummary": items}
    if len(activated) != len([n for n in run.namespaces if n in res.migrated]):
        return failed(
            f"Scaling up of applications in cluster : {source.host} failed.", summary=summary
        )
    message = (
        f"Scaling up of applications in cluster : {source.host} successful. Moving to the next "
        "stage"
    )
    record = run.status.get("suspendedSchedule") or {}
    if record.get("cluster") == SOURCE:
        try:
            await set_suspend(source, str(record["namespace"]), str(record["name"]), False)
        except (RestError, httpx2.HTTPError) as e:
            return failed(
                f"Error resuming the MigrationSchedule on the source: {describe(e)}",
                summary=summary,
            )
        message += (
            f"; MigrationSchedule {record['namespace']}/{record['name']} resumed on the source"
        )
    return done(message, summary=summary)


async def roll_back_destination(run: Run, env: Env) -> StepResult:
    """Undo the failback: the source back to standby (if it was being scaled up), this
    cluster's objects and static copies put back exactly, the held schedule as it was."""
    res = await resolve(run, env)
    namespaces = res.namespaces if isinstance(res, Resolved) else run.namespaces
    problems: dict[str, str] = {}
    record = run.status.get("suspendedSchedule") or {}
    try:
        if isinstance(res, Resolved):
            source = await source_side(run, env, res)
            if isinstance(source, Side):
                if run.status.get("failedStage") == S.SCALE_UP_SOURCE.value:
                    for problem in await scale_to_standby(source, run, namespaces):
                        problems.setdefault("", problem)
                if record.get("cluster") == SOURCE and record.get("wasSuspended") is False:
                    await set_suspend(source, str(record["namespace"]), str(record["name"]), False)
        problems.update(await restore(env.local, recorded(run, DESTINATION)))
        copies = [
            c for c in records_of(run, "deactivatedCopies") if c.get("cluster") == DESTINATION
        ]
        for problem in await mark_static_copies(
            env.local, [f"{c.get('namespace')}/{c.get('name')}" for c in copies]
        ):
            problems.setdefault("", problem)
        if record.get("cluster") == DESTINATION and record.get("wasSuspended") is False:
            await set_suspend(env.local, str(record["namespace"]), str(record["name"]), False)
    except (RestError, httpx2.HTTPError, OSError) as e:
        problems.setdefault("", describe(e))
    general = problems.pop("", "")
    if general:
        problems = {n: problems.get(n, general) for n in namespaces}
    summary = {"failbackSummary": rollback_summary(namespaces, problems)}
    if problems:
        first = next(iter(problems.values()))
        return StepResult(
            Outcome.FAILED,
            "",
            {"summary": summary},
            events=[("Warning", "RollbackFailed", f"Rolling back the failback failed: {first}")],
        )
    return StepResult(
        Outcome.DONE,
        "",
        {"summary": summary},
        events=[("Normal", "RollbackSuccessful", "Rolled back the scale down of the destination")],
    )


STEPS: StepTable = {
    (ActionType.FAILBACK, S.INITIAL): validate,
    (ActionType.FAILBACK, S.SCALE_DOWN_DESTINATION): scale_down_destination,
    (ActionType.FAILBACK, S.WAIT_AFTER_SCALE_DOWN): wait_destination,
    (ActionType.FAILBACK, S.LAST_MILE_MIGRATION): last_mile_to_source,
    (ActionType.FAILBACK, S.SCALE_UP_SOURCE): scale_up_source,
    (ActionType.FAILBACK, S.SCALE_UP_DESTINATION): roll_back_destination,
}
