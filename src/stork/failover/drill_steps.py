"""The steps of a drill, all on the destination, none touching the source or the standby.

Validations (the standby is here: a static copy; the drill namespaces are free or ours) ->
DrillCopy (each namespace, its isolation policy first, then the standby's objects, mapped, in
the migration's apply order, by server-side apply) -> DrillWait (per-workload readiness until
all are Ready or the timeout) -> DrillTeardown (the drill namespaces deleted, and waited for,
unless ``keep``) -> Final. The standby is only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2

from stork.api.action import ActionStage, ActionType
from stork.api.timestamps import parse_time
from stork.failover.clusters import (
    CLAIMS,
    DAEMONSETS,
    DEPLOYMENTS,
    NETWORK_POLICIES,
    PODS,
    REPLICASETS,
    STATEFULSETS,
)
from stork.failover.dr import Resolved, describe, resolve
from stork.failover.drill import (
    DEFAULT_SUFFIX,
    DEFAULT_TIMEOUT_SECONDS,
    DrillError,
    drill_copies,
    drill_namespace,
    isolation_policy,
    namespace_object,
    owned_by,
)
from stork.failover.perform import is_static_copy
from stork.failover.readiness import report
from stork.failover.stages import Outcome
from stork.failover.steps import Env, Run, StepResult, StepTable, done, failed, waiting
from stork.kube.discovery import NAMESPACES, custom_resource_groups, discover
from stork.kube.rest import RestError
from stork.migration.collect import list_types
from stork.migration.filters import FilterContext, select_objects
from stork.migration.plan import object_id, phase_of
from stork.migration.resources import Selection, collected_types

S = ActionStage


def _mapping(run: Run, res: Resolved) -> dict[str, str]:
    suffix = str(run.parameter.get("suffix") or DEFAULT_SUFFIX)
    return {ns: drill_namespace(ns, suffix) for ns in res.namespaces}


def _timeout(run: Run) -> float:
    value = run.parameter.get("timeoutSeconds")
    return float(value) if isinstance(value, int) and value > 0 else DEFAULT_TIMEOUT_SECONDS


async def _namespace(env: Env, name: str) -> dict[str, Any] | None:
    return await env.local.get(NAMESPACES, "", name)


async def _resolved(run: Run, env: Env) -> tuple[Resolved, dict[str, str]] | StepResult:
    res = await resolve(run, env)
    if isinstance(res, StepResult):
        return res
    try:
        return res, _mapping(run, res)
    except DrillError as e:
        return failed(str(e))


async def validate(run: Run, env: Env) -> StepResult:
    """The standby is on this cluster, and every drill namespace is free (or this drill's)."""
    got = await _resolved(run, env)
    if isinstance(got, StepResult):
        return got
    res, mapping = got
    meta = res.schedule.get("metadata") or {}
    if not is_static_copy(res.schedule):
        return failed(
            f"The MigrationSchedule {meta.get('namespace')}/{meta.get('name')} is not a static "
            "copy: run the drill in the cluster that holds the standby copy"
        )
    if not mapping:
        return failed("no namespace to drill: none of the given namespaces is migrated here")
    for standby, drill in mapping.items():
        if await _namespace(env, standby) is None:
            return failed(f"the standby namespace {standby} does not exist on this cluster")
        existing = await _namespace(env, drill)
        if existing is not None and not owned_by(existing, run.uid):
            return failed(
                f"namespace {drill} already exists and is not this drill's: delete it or choose "
                "another --suffix"
            )
    return done(f"Drill of {', '.join(mapping)} into {', '.join(mapping.values())}")


async def _standby_objects(env: Env, namespace: str) -> list[dict[str, Any]]:
    """The standby's namespaced objects, as a migration of it would collect them."""
    rest = env.local.rest
    types = collected_types(
        await discover(rest.http), await custom_resource_groups(rest.http), Selection()
    )
    listed = await list_types(rest, [t for t in types if t.namespaced], [namespace])
    return select_objects(listed, FilterContext(namespaces=frozenset({namespace})))


async def copy(run: Run, env: Env) -> StepResult:
    """Each drill namespace: the namespace, its isolation policy, then the standby's copies."""
    got = await _resolved(run, env)
    if isinstance(got, StepResult):
        return got
    _, mapping = got
    rest = env.local.rest
    types = {(t.group, t.kind): t for t in await discover(rest.http)}
    objects, refused, notes = 0, [], []
    try:
        for standby, target in mapping.items():
            await rest.apply(NAMESPACES, namespace_object(standby, target, run.name, run.uid))
            await rest.apply(NETWORK_POLICIES, isolation_policy(target, run.name))
            copies, changed = drill_copies(await _standby_objects(env, standby), mapping, run.name)
            notes += changed
            for obj in sorted(copies, key=lambda o: (phase_of(*object_id(o)[:2]), object_id(o))):
                t = types.get(object_id(obj)[:2])
                if t is None:
                    refused.append(
                        f"{target}/{obj['kind']} {obj['metadata']['name']}: no such type"
                    )
                    continue
                try:
                    await rest.apply(t, obj)
                    objects += 1
                except RestError as e:
                    refused.append(f"{target}/{obj['kind']} {obj['metadata']['name']}: {e.message}")
    except (RestError, httpx2.HTTPError) as e:
        return failed(f"Copying the standby into the drill namespaces failed: {describe(e)}")
    drill = {"namespaces": mapping, "objects": objects, "refused": refused, "notes": notes}
    return done(
        f"Copied {objects} objects into {', '.join(mapping.values())}"
        + (f"; {len(refused)} refused" if refused else ""),
        drill=drill,
    )


def _report_so_far(run: Run) -> dict[str, Any]:
    drill = run.status.get("drill")
    return dict(drill) if isinstance(drill, Mapping) else {}


async def wait_ready(run: Run, env: Env) -> StepResult:
    """Every workload of the drill namespaces Ready, or the timeout: the report either way."""
    got = await _resolved(run, env)
    if isinstance(got, StepResult):
        return got
    _, mapping = got
    local = env.local
    try:
        workloads, pods, claims = [], [], []
        for target in mapping.values():
            for t in (DEPLOYMENTS, STATEFULSETS, REPLICASETS, DAEMONSETS):
                workloads += await local.list(t, target)
            pods += await local.list(PODS, target)
            claims += await local.list(CLAIMS, target)
    except (RestError, httpx2.HTTPError) as e:
        return failed(f"Unable to read the drill namespaces: {describe(e)}")
    lines = report(workloads, pods, claims)
    drill = _report_so_far(run)
    drill["workloads"] = [line.to_status() for line in lines]
    ready = [line for line in lines if line.ready]
    created = parse_time((run.action.get("metadata") or {}).get("creationTimestamp"))
    if len(ready) == len(lines):
        if created is not None:
            drill["readySeconds"] = round((run.now - created).total_seconds(), 1)
        return done(f"All {len(lines)} workloads of the drill are Ready", drill=drill)
    if run.elapsed() > _timeout(run):
        first = next(line for line in lines if not line.ready)
        return failed(
            f"{len(ready)}/{len(lines)} workloads Ready after {_timeout(run):.0f}s; "
            f"{first.namespace}/{first.kind.lower()} {first.name}: {first.reason}",
            drill=drill,
        )
    return waiting(f"{len(ready)}/{len(lines)} workloads Ready", env.poll, drill=drill)


async def delete_drill_namespaces(env: Env, names: list[str], uid: str) -> list[str]:
    """Delete the drill namespaces this drill made; those still there (terminating)."""
    left = []
    for name in names:
        existing = await _namespace(env, name)
        if existing is None:
            continue
        if not owned_by(existing, uid):
            continue  # not ours: never deleted
        left.append(name)
        if not (existing.get("metadata") or {}).get("deletionTimestamp"):
            await env.local.rest.delete(NAMESPACES, None, name)
    return left


async def teardown(run: Run, env: Env) -> StepResult:
    """Delete the drill namespaces (unless ``keep``) and wait until they are gone."""
    drill = _report_so_far(run)
    mapping = drill.get("namespaces")
    names = list(mapping.values()) if isinstance(mapping, Mapping) else []
    if run.parameter.get("keep"):
        drill["tornDown"] = False
        return done(
            f"Drill namespaces kept for inspection: {', '.join(names)} (`storkctl delete drill "
            f"{run.name} -n {run.namespace}` removes them)",
            drill=drill,
        )
    try:
        left = await delete_drill_namespaces(env, [str(n) for n in names], run.uid)
    except (RestError, httpx2.HTTPError) as e:
        return failed(f"Deleting the drill namespaces failed: {describe(e)}", drill=drill)
    if not left:
        drill["tornDown"] = True
        return done(f"Drill namespaces deleted: {', '.join(names)}", drill=drill)
    if run.elapsed() > env.teardown_timeout:
        drill["tornDown"] = False
        return failed(
            f"drill namespaces still terminating after {env.teardown_timeout:.0f}s: "
            + ", ".join(left),
            drill=drill,
        )
    return waiting(f"waiting for {', '.join(left)} to be deleted", env.poll, drill=drill)


STEPS: StepTable = {
    (ActionType.DRILL, S.INITIAL): validate,
    (ActionType.DRILL, S.DRILL_COPY): copy,
    (ActionType.DRILL, S.DRILL_WAIT): wait_ready,
    (ActionType.DRILL, S.DRILL_TEARDOWN): teardown,
}

__all__ = ["STEPS", "Outcome", "delete_drill_namespaces"]
