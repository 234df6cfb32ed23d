"""The steps failover and failback share: the schedule and namespaces, scaling down the
cluster being left (recorded), waiting for its pods, the last-mile Migration, scaling up
(through :mod:`stork.failover.activation`) and undoing a scale-down exactly."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

from stork.api.action import ActionStatus
from stork.api.constants import API_VERSION, STATIC_COPY_ANNOTATION, MigrationStage
from stork.failover import activation
from stork.failover.clusters import (
    MIGRATIONS,
    PODS,
    SCALED,
    SCHEDULES,
    Side,
)
from stork.failover.perform import (
    LAST_MILE_SCHEDULE_ANNOTATION,
    last_mile_name,
    schedule_namespaces,
    template_spec,
)
from stork.failover.scaling import (
    Planned,
    blocking_pods,
    plan_scale_down,
    restore_patch,
    scale_down_patch,
)
from stork.failover.steps import Env, Run, StepResult, done, failed, waiting
from stork.kube.discovery import NAMESPACES
from stork.kube.pairconfig import PairConfigError
from stork.kube.rest import RestError
from stork.migration.filters import FilterContext
from stork.migration.namespaces import confined
from stork.migration.plan import HASH_ANNOTATION
from stork.migration.spec import MigrationOptions, SpecError

#: Annotations of a schedule that do not belong on its last-mile Migration.
_NOT_COPIED = frozenset(
    {
        STATIC_COPY_ANNOTATION,
        HASH_ANNOTATION,
        "kubectl.kubernetes.io/last-applied-configuration",
        "stork.libopenstorage.org/migration-schedule-name",
    }
)
#: A last-mile Migration must carry everything: PartialSuccess fails the action (Stork goes on,
#: and would start the applications with part of the latest state missing).
_SUCCEEDED = ("Successful",)
NOT_CONFINED = "the Action's namespaces should only contain the current namespace"


@dataclass(frozen=True)
class Resolved:
    """The schedule an Action is about, and the namespaces it acts on."""

    schedule: Mapping[str, Any]
    #: Every namespace the schedule migrates.
    migrated: list[str]
    #: The Action's namespaces that the schedule migrates (Stork ignores the others).
    namespaces: list[str]
    options: MigrationOptions | None

    @property
    def pair_name(self) -> str:
        """The schedule's ClusterPair (on this cluster: the reverse pair)."""
        return str(template_spec(self.schedule).get("clusterPair") or "")

    def filters(self, namespace: str) -> FilterContext:
        """The migration's object filters, for one namespace."""
        opts = self.options
        if opts is None:
            return FilterContext(namespaces=frozenset({namespace}))
        return FilterContext(
            namespaces=frozenset({namespace}),
            exclude_selectors=opts.exclude_selectors,
            selectors=opts.selectors,
            ignore_owner_references_check=opts.ignore_owner_references_check,
        )


def describe(error: BaseException) -> str:
    """One line about an error of a cluster (never its credentials)."""
    if isinstance(error, RestError):
        return error.message
    return str(error) or type(error).__name__


async def resolve(run: Run, env: Env) -> Resolved | StepResult:
    """The Action's schedule (on this cluster) and namespaces, or the failed step."""
    what = run.action_type.value
    schedule = await env.schedule(run.namespace, run.schedule_name)
    if schedule is None:
        return failed(
            f"Unable to fetch the MigrationSchedule {run.namespace}/{run.schedule_name} "
            f"needed for the {what} operation."
        )
    objects = [o async for o in env.local.rest.list(NAMESPACES, None)]
    migrated = schedule_namespaces(schedule, objects)
    namespaces = [n for n in run.namespaces if n in set(migrated)]
    if not confined([*migrated, *namespaces], run.namespace, env.admin_namespace):
        return failed(NOT_CONFINED)
    try:
        options: MigrationOptions | None = MigrationOptions.from_spec(template_spec(schedule))
    except SpecError:
        options = None
    return Resolved(schedule, migrated, namespaces, options)


def _merged(run: Run, planned: Iterable[Planned], side: str) -> list[dict[str, Any]]:
    """``status.scaledDown`` with ``planned`` added; an object recorded already keeps its first
    record (a repeated step must not record the 0 it set itself)."""
    entries = [dict(e) for e in run.status.get("scaledDown") or [] if isinstance(e, Mapping)]
    seen = {(e.get("cluster"), e.get("namespace"), e.get("kind"), e.get("name")) for e in entries}
    for p in planned:
        if (side, p.namespace, p.kind, p.name) not in seen:
            entries.append(p.to_status(side))
    return entries


def recorded(run: Run, side: str) -> list[Planned]:
    """What this Action scaled down on ``side``."""
    return [
        Planned.from_status(e)
        for e in run.status.get("scaledDown") or []
        if isinstance(e, Mapping) and e.get("cluster") == side
    ]


async def _objects(side: Side, namespace: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for t in SCALED.values():
        out += await side.list(t, namespace)
    return out


async def plan(run: Run, leaving: Side, other: Side | None, res: Resolved) -> list[dict[str, Any]]:
    """``status.scaledDown`` with what will be scaled down on ``leaving`` (not written yet)."""
    planned: list[Planned] = []
    for ns in res.namespaces:
        here = await _objects(leaving, ns)
        there = await _objects(other, ns) if other is not None else []
        planned += plan_scale_down(ns, here, there, res.filters(ns))
    return _merged(run, planned, leaving.name)


async def scale_down(run: Run, leaving: Side, entries: list[Planned]) -> StepResult:
    """Stop every planned object on ``leaving`` (its record is in the status already)."""
    try:
        for p in entries:
            t = SCALED[p.kind]
            current = await leaving.get(t, p.namespace, p.name)
            if current is None:
                continue
            await leaving.patch(t, p.namespace, p.name, scale_down_patch(p, current))
    except (RestError, httpx2.HTTPError) as e:
        return failed(f"Failed to scale down replicas in cluster {leaving.host} : {describe(e)}")
    return done(
        f"Scaling down of applications in cluster : {leaving.host} successful. "
        "Moving to the next stage"
    )


async def wait_scaled_down(run: Run, env: Env, leaving: Side, res: Resolved) -> StepResult:
    """Done once no pod of what was stopped, and no pod using a claim, still runs there."""
    stopped = recorded(run, leaving.name)
    try:
        blocking: list[str] = []
        for ns in res.namespaces:
            pods = await leaving.list(PODS, ns)
            workloads = await _objects(leaving, ns)
            mine = [p for p in stopped if p.namespace == ns]
            blocking += [f"{ns}/{name}" for name in blocking_pods(pods, workloads, mine)]
    except (RestError, httpx2.HTTPError) as e:
        return failed(f"Unable to list the pods in cluster {leaving.host}: {describe(e)}")
    if not blocking:
        return done(
            f"Successful scale down of pods using PVCs in cluster {leaving.host}. "
            "Proceeding to the next stage"
        )
    if run.elapsed() > env.scale_down_wait:
        return failed(
            f"pods are not getting terminated even after {env.scale_down_wait:.0f}s in cluster "
            f"{leaving.host}: {', '.join(blocking[:10])}"
        )
    return waiting(f"waiting for {len(blocking)} pods to terminate", env.poll)


def last_mile_object(run: Run, res: Resolved, operation: str) -> dict[str, Any]:
    """The last-mile Migration: the schedule's template for the Action's namespaces, no
    selectors, applications not started (Stork's ``getLastMileMigrationSpec``)."""
    spec = dict(template_spec(res.schedule))
    spec.pop("namespaceSelectors", None)
    spec["namespaces"] = list(res.namespaces)
    spec["startApplications"] = False
    meta = res.schedule.get("metadata") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _NOT_COPIED}
    annotations[LAST_MILE_SCHEDULE_ANNOTATION] = str(meta.get("name"))
    return {
        "apiVersion": API_VERSION,
        "kind": "Migration",
        "metadata": {
            "name": last_mile_name(str(meta.get("name")), operation, run.uid),
            "namespace": run.namespace,
            "annotations": annotations,
        },
        "spec": spec,
    }


def _migration_reason(migration: Mapping[str, Any]) -> str:
    """Why a Migration failed: its first failed resource, else its Complete condition."""
    status = migration.get("status") or {}
    failures = [r for r in status.get("resources") or [] if r.get("status") == "Failed"]
    if failures:
        first = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return f"{first.get('kind')} {first.get('name')}: {first.get('reason')}{more}"
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Complete" and condition.get("message"):
            return str(condition["message"])
    return ""


async def last_mile(run: Run, env: Env, where: Side, res: Resolved, operation: str) -> StepResult:
    """Create the last-mile Migration on ``where`` (whose controller runs it) and wait for it."""
    wanted = last_mile_object(run, res, operation)
    name = wanted["metadata"]["name"]
    try:
        migration = await where.get(MIGRATIONS, run.namespace, name)
        if migration is None:
            await where.create(MIGRATIONS, wanted)
            return waiting(
                f"last mile migration {name} created in cluster {where.host}",
                env.poll,
                lastMileMigration=name,
            )
    except (RestError, httpx2.HTTPError) as e:
        if run.elapsed() > env.last_mile_timeout:
            return failed(f"Creating the last mile migration {name} failed: {describe(e)}")
        return waiting(f"last mile migration {name}: {describe(e)}", env.poll)
    status = migration.get("status") or {}
    if status.get("stage") == MigrationStage.FINAL.value:
        if status.get("status") in _SUCCEEDED:
            return done(f"Last mile migration {name} successful", lastMileMigration=name)
        why = _migration_reason(migration)
        return failed(
            f"The {operation} operation is aborted because the last mile migration {name} "
            f"failed with status {status.get('status')}" + (f": {why}" if why else ""),
            lastMileMigration=name,
        )
    if run.elapsed() > env.last_mile_timeout:
        return failed(
            f"The {operation} operation is aborted because the last mile migration {name} did "
            f"not finish within {env.last_mile_timeout:.0f}s (stage {status.get('stage') or '-'}"
            f", status {status.get('status') or '-'}); is the controller running on "
            f"{where.host}?",
            lastMileMigration=name,
        )
    return waiting(f"last mile migration {name} is {status.get('status') or 'Pending'}", env.poll)


def _summary_item(namespace: str, status: ActionStatus, reason: str) -> dict[str, Any]:
    return {"namespace": namespace, "status": status.value, "reason": reason}


async def scale_up(
    run: Run, side: Side, res: Resolved, rollback: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """Start the applications of the Action's namespaces on ``side`` (activation), and mark
    the schedules that migrate them activated there; (summary items, activated namespaces)."""
    ok = ActionStatus.ROLLBACK_SUCCESSFUL if rollback else ActionStatus.SUCCESSFUL
    bad = ActionStatus.ROLLBACK_FAILED if rollback else ActionStatus.FAILED
    meta = res.schedule.get("metadata") or {}

    def work() -> tuple[list[dict[str, Any]], list[str]]:
        items, activated, schedule_namespaces_ = [], [], [run.namespace]
        with side.sync() as client:
            for ns in run.namespaces:
                if ns not in res.migrated:
                    items.append(
                        _summary_item(
                            ns,
                            ok,
                            f"Skipping scaling up apps in the namespace {ns} since it is not one "
                            f"of the namespaces being migrated by the MigrationSchedule "
                            f"{meta.get('namespace')}/{meta.get('name')}",
                        )
                    )
                    continue
                problems: list[str] = []
                found = activation.scale(client, ns, True, lambda _m: None, problems.append)
                schedule_namespaces_.append(found or ns)
                if problems:
                    items.append(
                        _summary_item(
                            ns, bad, f"scaling up apps in namespace {ns} failed: {problems[0]}"
                        )
                    )
                else:
                    activated.append(ns)
                    items.append(
                        _summary_item(ns, ok, f"scaling up apps in namespace {ns} successful")
                    )
            if activated and not rollback:
                activation.mark_schedules(
                    client, schedule_namespaces_, set(activated), True, lambda _m: None
                )
        return items, activated

    return await asyncio.to_thread(work)


async def scale_to_standby(side: Side, run: Run, namespaces: list[str]) -> list[str]:
    """Put the applications of ``namespaces`` on ``side`` back to their standby state (0
    replicas, CronJobs suspended) and clear the static copies' activation; the problems."""

    def work() -> list[str]:
        problems: list[str] = []
        schedule_namespaces_ = [run.namespace]
        with side.sync() as client:
            for ns in namespaces:
                found = activation.scale(client, ns, False, lambda _m: None, problems.append)
                schedule_namespaces_.append(found or ns)
            activation.mark_schedules(
                client, schedule_namespaces_, set(namespaces), False, lambda _m: None
            )
        return problems

    return await asyncio.to_thread(work)


async def restore(side: Side, entries: list[Planned]) -> dict[str, str]:
    """Put every recorded object back as it was; namespace -> the first problem there."""
    problems: dict[str, str] = {}
    for p in entries:
        try:
            if await side.get(SCALED[p.kind], p.namespace, p.name) is None:
                continue  # deleted since: nothing to put back
            await side.patch(SCALED[p.kind], p.namespace, p.name, restore_patch(p))
        except (RestError, httpx2.HTTPError) as e:
            problems.setdefault(p.namespace, f"{p.kind.lower()} {p.name}: {describe(e)}")
    return problems


def rollback_summary(
    namespaces: Iterable[str], problems: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The summary items of a rollback, one per namespace."""
    items = []
    for ns in namespaces:
        if ns in problems:
            reason = f"rolling back the scale down of apps in namespace {ns} failed: {problems[ns]}"
            items.append(_summary_item(ns, ActionStatus.ROLLBACK_FAILED, reason))
        else:
            reason = f"rolled back the scale down of apps in namespace {ns}"
            items.append(_summary_item(ns, ActionStatus.ROLLBACK_SUCCESSFUL, reason))
    return items


def _migrates(schedule: Mapping[str, Any], namespaces: set[str]) -> bool:
    return bool(namespaces & set(template_spec(schedule).get("namespaces") or []))


async def clear_static_copies(
    side: Side, run: Run, admin_namespace: str, namespaces: list[str]
) -> list[str]:
    """Clear ``applicationActivated`` of the static copies on ``side`` that migrate any of
    ``namespaces`` and are activated (in the Action's namespaces and the admin namespace, as
    Stork looks); the ``ns/name`` of each one cleared, for a rollback to mark again."""
    cleared = []
    for ns in sorted({run.namespace, admin_namespace, *namespaces}):
        for schedule in await side.list(SCHEDULES, ns):
            meta = schedule.get("metadata") or {}
            static = (meta.get("annotations") or {}).get(STATIC_COPY_ANNOTATION) == "true"
            active = (schedule.get("status") or {}).get("applicationActivated")
            if static and active and _migrates(schedule, set(namespaces)):
                await side.patch(
                    SCHEDULES, ns, meta["name"], {"status": {"applicationActivated": False}}, True
                )
                cleared.append(f"{ns}/{meta['name']}")
    return cleared


async def mark_static_copies(side: Side, names: Iterable[str]) -> list[str]:
    """Set ``applicationActivated`` again on the ``ns/name`` schedules; the problems."""
    problems = []
    for full in names:
        ns, _, name = full.partition("/")
        try:
            await side.patch(SCHEDULES, ns, name, {"status": {"applicationActivated": True}}, True)
        except (RestError, httpx2.HTTPError) as e:
            problems.append(f"MigrationSchedule {full}: {describe(e)}")
    return problems


async def set_suspend(side: Side, namespace: str, name: str, suspend: bool) -> None:
    """Suspend (or resume) a MigrationSchedule."""
    await side.patch(SCHEDULES, namespace, name, {"spec": {"suspend": suspend}})


def latest_migration(schedule: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The schedule's most recent Migration item, across policy types (Stork takes the last
    item of an arbitrary type: a Go map's order)."""
    items = [
        i
        for values in ((schedule.get("status") or {}).get("items") or {}).values()
        if isinstance(values, list)
        for i in values
        if isinstance(i, Mapping)
    ]
    return max(items, key=lambda i: str(i.get("creationTimestamp") or ""), default=None)


def records_of(run: Run, key: str) -> list[dict[str, Any]]:
    """The entries of a list in the Action's status (copies)."""
    return [dict(e) for e in run.status.get(key) or [] if isinstance(e, Mapping)]


async def source_side(run: Run, env: Env, res: Resolved) -> Side | StepResult:
    """The source, through the reverse pair, or the failed step."""
    pair = await env.pair(run.namespace, res.pair_name)
    if pair is None:
        return failed(
            f"Unable to fetch the ClusterPair {run.namespace}/{res.pair_name} needed for "
            f"{run.action_type.value} operation"
        )
    try:
        return await env.remote(pair)
    except PairConfigError as e:
        return failed(f"The ClusterPair {run.namespace}/{res.pair_name} cannot be used: {e}")


async def with_source(run: Run, env: Env) -> tuple[Resolved, Side] | StepResult:
    """The schedule and namespaces, and the source; or the failed step."""
    res = await resolve(run, env)
    if isinstance(res, StepResult):
        return res
    source = await source_side(run, env, res)
    if isinstance(source, StepResult):
        return source
    return res, source


async def leave(run: Run, env: Env, leaving: Side, other: Side, res: Resolved) -> StepResult:
    """The scale-down stage: plan and record it (first pass), then stop ``leaving``'s
    applications and clear its static copies' activation (recorded for a rollback)."""
    try:
        if not run.status.get("status"):
            entries = await plan(run, leaving, other, res)
            return waiting("scale down planned", 0.0, scaledDown=entries)
        result = await scale_down(run, leaving, recorded(run, leaving.name))
        if result.outcome is not None and result.outcome.value == "done":
            cleared = await clear_static_copies(leaving, run, env.admin_namespace, res.namespaces)
            copies = records_of(run, "deactivatedCopies")
            for full in cleared:
                namespace, _, name = full.partition("/")
                copies.append({"cluster": leaving.name, "namespace": namespace, "name": name})
            result.status["deactivatedCopies"] = copies
        return result
    except (RestError, httpx2.HTTPError) as e:
        return failed(f"Failed to scale down replicas in cluster {leaving.host} : {describe(e)}")
