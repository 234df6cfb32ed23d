"""MigrationSchedule reconciler: Migrations created when a policy says so.

Decisions come from ``stork.schedule`` (DESIGN.md item 1): a missed occurrence is caught up
once; no new run while one of the schedule's migrations is Pending or InProgress; the
controller sleeps until the next trigger time instead of polling. ``status.items`` keeps, per
policy type, the last successful migration and every later one; older ones are deleted.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from lightkube import ApiError, AsyncClient
from lightkube.types import PatchType

from stork.api.constants import (
    API_VERSION,
    FINALIZER,
    SCHEDULE_ANNOTATION,
    STATIC_COPY_ANNOTATION,
    ClusterPairStatus,
    MigrationStatus,
)
from stork.api.timestamps import format_time, parse_time
from stork.controller.clients import DestinationClients
from stork.controller.schedulelookups import ApiLookups, ScheduleLookups, pair_name
from stork.controller.staticcopy import StaticCopyError, static_copy, sync_static_copy
from stork.kube.pairconfig import PairConfigError
from stork.kube.resources import MigrationResource, MigrationScheduleResource
from stork.kube.rest import RestError
from stork.migration.apply import unreachable_message
from stork.migration.plan import content_hash
from stork.runtime.clock import Clock
from stork.runtime.conditions import set_condition
from stork.runtime.events import NORMAL, WARNING, EventRecorder
from stork.runtime.informer import ObjectKey
from stork.schedule import (
    PolicyError,
    due_occurrence,
    next_trigger,
    trigger_required,
    validate_policy,
)
from stork.schedule.rpo import RPO_FACTOR, expected_interval, rpo_breached, schedule_lag

log = logging.getLogger(__name__)

POLICY_TYPES = ("Interval", "Daily", "Weekly", "Monthly")
_ACTIVE = (MigrationStatus.PENDING.value, MigrationStatus.IN_PROGRESS.value)
_SUCCEEDED = (MigrationStatus.SUCCESSFUL.value, MigrationStatus.PARTIAL_SUCCESS.value)
#: How often to look again while something outside our watches may change (e.g. a bad policy).
RETRY_SECONDS = 30.0
AUTO_SUSPENDED = "Suspending migration schedule since migrated apps on remote cluster are active"
_MAX_SLEEP = 3600.0
#: Condition set while the lag since the last success exceeds twice the policy's interval.
RPO_CONDITION = "RPOBreached"


def migration_name(schedule: str, policy_type: str, when: dt.datetime) -> str:
    """``<schedule>-<interval|daily|weekly|monthly>-<YYYY-MM-DD-HHMMSS>`` (Stork's names)."""
    return f"{schedule}-{policy_type.lower()}-{when.strftime('%Y-%m-%d-%H%M%S')}"


def prune_items(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """(kept, deleted names): keep the last succeeded item and everything after it."""
    for idx in range(len(items) - 1, -1, -1):
        if items[idx].get("status") in _SUCCEEDED:
            return items[idx:], [str(i["name"]) for i in items[:idx]]
    return items, []


def _due_at(
    obj: dict[str, Any],
    items: dict[str, list[dict[str, Any]]],
    policy_type: str,
    occurrence: dt.datetime,
    ended: Mapping[str, dt.datetime],
) -> dt.datetime:
    """When a run became due: its occurrence (an interval schedule that never ran: its
    creation), or when the schedule's previous run ended, if later (no run starts while one
    is going). A run seen ending in this look ended when its Migration says (``ended``), not
    when it was seen: the delay in between counts."""
    due = occurrence
    if policy_type == "Interval" and not items[policy_type]:
        due = parse_time((obj.get("metadata") or {}).get("creationTimestamp")) or occurrence
    finished = [
        ended.get(str(i.get("name"))) or parse_time(i.get("finishTimestamp"))
        for t in POLICY_TYPES
        for i in items[t]
    ]
    return max([due, *(f for f in finished if f is not None)])


@dataclass
class _RpoChange:
    """The RPOBreached condition a look writes, and the event that goes with it."""

    conditions: list[dict[str, Any]]
    breached: bool
    event: tuple[str, str, str] | None


@dataclass
class _Look:
    """One look at a schedule: the object as decided on, its items (a copy, updated as the
    look goes), the events to send at its end, and what it writes with the items."""

    key: ObjectKey
    obj: dict[str, Any]
    items: dict[str, list[dict[str, Any]]]
    notes: list[tuple[str, str, str]] = field(default_factory=list)
    #: When each child seen ending in this look ended (its own finishTimestamp).
    ended: dict[str, dt.datetime] = field(default_factory=dict)
    rpo: _RpoChange | None = None


class _Gone(Exception):  # noqa: N818 - control flow of one look, never seen outside
    """The schedule was deleted while it was looked at."""


class MigrationScheduleReconciler:
    """Creates, follows and prunes the Migrations of every schedule."""

    name = "migrationschedule"
    resource = MigrationScheduleResource

    def __init__(
        self,
        client: AsyncClient,
        events: EventRecorder,
        clock: Clock,
        destinations: DestinationClients,
        default_tz: dt.tzinfo | None = None,
        remote_check_seconds: float = 60.0,
        on_trigger: Callable[[float], None] | None = None,
        lookups: ScheduleLookups | None = None,
    ) -> None:
        self._client = client
        #: Children, policies and pairs (the controller's caches; GETs when none is given).
        self._lookups = lookups or ApiLookups(client)
        #: The resourceVersion of each schedule after our last write or read of it: a cached
        #: object at that version is current, any other is read again before deciding.
        self._known: dict[ObjectKey, str] = {}
        #: What each schedule's destination copy was last made from (the copy, the pair) and
        #: when: it is written again when either changes, or looked at again (an activation
        #: there) once per ``remote_check_seconds``, not on every look at the schedule.
        self._copied: dict[ObjectKey, tuple[tuple[str, str, str], dt.datetime]] = {}
        #: The RPO condition's value we last wrote per schedule (a cache a write behind
        #: would otherwise have it written, and its event sent, twice).
        self._rpo: dict[ObjectKey, bool] = {}
        self._events = events
        self._clock = clock
        self._destinations = destinations
        self._tz = default_tz
        #: How often an autoSuspend schedule looks at its destination copy (the pair check
        #: interval): an activation there suspends it within that time, not at its next run.
        self.remote_check_seconds = remote_check_seconds
        #: Called with each trigger's delay (seconds from due to the Migration's creation).
        self._on_trigger = on_trigger

    # -- mapping of secondary watches ---------------------------------------------------------

    @staticmethod
    def for_migration(key: ObjectKey, obj: dict[str, Any] | None) -> list[ObjectKey]:
        """A child Migration changed: its schedule."""
        annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
        schedule = annotations.get(SCHEDULE_ANNOTATION)
        return [(key[0], schedule)] if schedule else []

    # -- reconcile -----------------------------------------------------------------------------

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Follow children, maybe start one, prune, check the RPO; return when to look again.

        A look writes the schedule at most once before it starts a run (our finalizer, the
        items and the RPO condition in one patch), then creates the run's Migration.

        The RPO needs no wake-up of its own: the next trigger (at most one interval away) or a
        child's progress comes before a breach (two intervals); ``/metrics`` shows the lag
        continuously in any case.
        """
        requeue, gone = await self._reconcile(key, obj)
        if gone:
            for memo in (self._known, self._copied, self._rpo):
                memo.pop(key, None)
        return requeue

    def _watch_remote(self, obj: dict[str, Any], requeue: float | None) -> float | None:
        """``requeue``, at most the remote check interval for a running autoSuspend schedule."""
        spec = obj.get("spec") or {}
        if not spec.get("autoSuspend") or spec.get("suspend"):
            return requeue
        return min(
            requeue if requeue is not None else self.remote_check_seconds, self.remote_check_seconds
        )

    async def _reconcile(
        self, key: ObjectKey, cached: dict[str, Any] | None
    ) -> tuple[float | None, bool]:
        """(when to look again, whether the schedule is gone)."""
        if cached is None:
            return None, True
        # Decide on the object as it is now: the cache can be a status write behind (woken
        # by a child's event), and a decision on it could start a second run.
        obj = await self._current(key, cached)
        if obj is None:
            return None, True
        meta = obj.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            await self._delete_children(key, obj)
            return None, True
        if (meta.get("annotations") or {}).get(STATIC_COPY_ANNOTATION) == "true":
            return None, False
        # A copy: the items' dicts are the cache's, and their status is updated below.
        status = copy.deepcopy(obj.get("status") or {})
        look = _Look(
            key, obj, {t: list((status.get("items") or {}).get(t) or []) for t in POLICY_TYPES}
        )
        try:
            requeue = await self._decide(look)
        except _Gone:
            return None, True
        finally:
            # The events of finished children (and of the RPO) are sent once the decision is
            # carried out: a run due now is not kept waiting for them.
            for type_, reason, message in look.notes:
                await self._events.record(look.obj, type_, reason, message)
        return requeue, False

    async def _decide(self, look: _Look) -> float | None:
        """Follow the children, then start a run if one is due; return when to look again."""
        key, obj, items = look.key, look.obj, look.items
        spec = obj.get("spec") or {}
        now = self._clock.now()
        changed = await self._follow_children(key, items, now, look.notes, look.ended)
        if spec.get("suspend"):
            await self._save(look, changed)
            return None
        policy = await self._policy(key[0], str(spec.get("schedulePolicyName") or ""))
        if isinstance(policy, str):
            await self._save(look, changed)
            await self._events.record(
                obj, WARNING, "Failed", f"Error checking if migration should be triggered: {policy}"
            )
            return RETRY_SECONDS
        pair, pair_problem = await self._pair(key[0], spec)
        if pair is not None and pair_problem is None:
            pair_problem, activated = await self._sync_static_copy(key, obj, pair, now)
            if activated and spec.get("autoSuspend"):
                await self._save(look, changed)
                patched = await self._client.patch(
                    MigrationScheduleResource,
                    key[1],
                    {"spec": {"suspend": True}},
                    namespace=key[0],
                    patch_type=PatchType.MERGE,
                )
                self._saw(key, dict(patched))
                await self._events.record(obj, WARNING, "Suspended", AUTO_SUSPENDED)
                return None
        # A run started below adds a Pending item only: the lag since the last success, and
        # so the RPO condition, is the same before and after it.
        look.rpo = self._rpo_change(key, obj, items, policy, now)
        if any(i.get("status") in _ACTIVE for t in POLICY_TYPES for i in items[t]):
            await self._save(look, changed)
            return self._watch_remote(obj, None)  # woken when a child changes
        due = self._due(policy, obj, items, now)
        if due is None:
            await self._save(look, changed)
            return self._watch_remote(obj, self._sleep(policy, obj, items, now))
        if pair_problem:
            await self._save(look, changed)
            await self._events.record(obj, WARNING, "Failed", pair_problem)
            return RETRY_SECONDS
        return await self._trigger(look, policy, due, now)

    async def _trigger(
        self, look: _Look, policy: Mapping[str, Any], due: str, now: dt.datetime
    ) -> float | None:
        """Record the run of ``due`` in the status, then create its Migration."""
        key, obj, items = look.key, look.obj, look.items
        occurrence = self._occurrence(policy, obj, items, due, now)
        due_at = _due_at(obj, items, due, occurrence, look.ended)
        name = migration_name(key[1], due, occurrence.astimezone(self._tz))
        items[due].append(
            {
                "name": name,
                "creationTimestamp": format_time(now),
                "finishTimestamp": None,
                "status": MigrationStatus.PENDING.value,
            }
        )
        await self._save(look, True)
        try:
            await self._create_migration(key, obj, name)
        except ApiError as e:
            if e.status.code == 409:
                # The same occurrence was started already: that run is this one.
                log.info("schedule %s/%s: %s exists already", key[0], key[1], name)
                return None
            items[due][-1]["status"] = MigrationStatus.FAILED.value
            items[due][-1]["finishTimestamp"] = format_time(now)
            await self._save(look, True)
            await self._events.record(
                obj,
                WARNING,
                "Failed",
                f"Error triggering migration for schedule({due}): {e.status.message}",
            )
            return RETRY_SECONDS
        log.info("schedule %s/%s: started %s", key[0], key[1], name)
        if self._on_trigger is not None:
            self._on_trigger(max(0.0, (self._clock.now() - due_at).total_seconds()))
        return self._watch_remote(obj, None)  # and woken when the migration changes

    # -- parts ---------------------------------------------------------------------------------

    def _rpo_change(
        self,
        key: ObjectKey,
        obj: dict[str, Any],
        items: dict[str, list[dict[str, Any]]],
        policy: Mapping[str, Any],
        now: dt.datetime,
    ) -> _RpoChange | None:
        """The RPOBreached condition to write with this look's patch, when it changes (or is
        not set yet); None when it stands."""
        interval = expected_interval(policy)
        if interval is None:
            return None
        lag = schedule_lag({**obj, "status": {"items": items}}, now)
        breached = rpo_breached(lag, interval)
        if self._rpo.get(key) == breached:
            return None
        conditions = list((obj.get("status") or {}).get("conditions") or [])
        previous = next((c for c in conditions if c.get("type") == RPO_CONDITION), None)
        if previous is not None and previous.get("status") == ("True" if breached else "False"):
            self._rpo[key] = breached
            return None
        message = (
            f"last successful migration {lag:.0f}s ago, more than {RPO_FACTOR:g} times "
            f"the policy's interval of {interval:.0f}s"
            if breached
            else f"last successful migration {lag:.0f}s ago (interval {interval:.0f}s)"
        )
        conditions = set_condition(
            conditions,
            RPO_CONDITION,
            breached,
            "LagExceeded" if breached else "WithinObjective",
            message,
            (obj.get("metadata") or {}).get("generation"),
            now,
        )
        event = None
        if breached:
            event = (WARNING, RPO_CONDITION, message)
        elif previous is not None:
            event = (NORMAL, "RPORecovered", message)
        return _RpoChange(conditions, breached, event)

    async def _follow_children(
        self,
        key: ObjectKey,
        items: dict[str, list[dict[str, Any]]],
        now: dt.datetime,
        notes: list[tuple[str, str, str]],
        ended: dict[str, dt.datetime],
    ) -> bool:
        """Copy the status of running children into the items; prune; True if anything changed.
        The events to send about them are added to ``notes``, when each that ended did so
        (its own finishTimestamp, at most now) to ``ended``."""
        changed = False
        for policy_type in POLICY_TYPES:
            for item in items[policy_type]:
                if item.get("status") not in _ACTIVE:
                    continue
                try:
                    child = await self._lookups.migration(key[0], item["name"])
                    problem = (
                        f'migrations.stork.libopenstorage.org "{item["name"]}" not found'
                        if child is None
                        else None
                    )
                except ApiError as e:
                    child, problem = None, e.status.message
                if child is None:
                    new = MigrationStatus.FAILED.value
                    notes.append(
                        (
                            WARNING,
                            "Failed",
                            f"Error getting status of migration {item['name']}: {problem}",
                        )
                    )
                else:
                    new = (child.get("status") or {}).get("status") or MigrationStatus.PENDING.value
                if new == item.get("status"):
                    continue
                changed = True
                item["status"] = new
                if new not in _ACTIVE:
                    item["finishTimestamp"] = format_time(now)  # when seen, as Stork's
                    own = parse_time(((child or {}).get("status") or {}).get("finishTimestamp"))
                    ended[str(item["name"])] = min(own, now) if own is not None else now
                    if new == MigrationStatus.SUCCESSFUL.value:
                        notes.append(
                            (
                                NORMAL,
                                "Successful",
                                f"Scheduled migration ({item['name']}) completed successfully",
                            )
                        )
                    else:
                        message = f"Scheduled migration ({item['name']}) status {new}"
                        notes.append((WARNING, "Failed", message))
            kept, stale = prune_items(items[policy_type])
            if stale:
                changed = True
                items[policy_type] = kept
                for name in stale:
                    try:
                        await self._client.delete(MigrationResource, name, namespace=key[0])
                    except ApiError as e:
                        if e.status.code != 404:
                            log.warning(
                                "could not delete old migration %s: %s", name, e.status.message
                            )
        return changed

    def _last(
        self, obj: dict[str, Any], items: list[dict[str, Any]], policy_type: str
    ) -> dt.datetime | None:
        stamps = [t for t in (parse_time(i.get("creationTimestamp")) for i in items) if t]
        if stamps:
            return max(stamps)
        if policy_type == "Interval":
            return None  # a new interval schedule fires at once
        return parse_time((obj.get("metadata") or {}).get("creationTimestamp"))

    async def _current(self, key: ObjectKey, cached: dict[str, Any]) -> dict[str, Any] | None:
        """``cached`` if it is at the version we last wrote or read, or if we never wrote it
        (nothing of ours can be missing from it then), else a fresh read."""
        version = (cached.get("metadata") or {}).get("resourceVersion")
        known = self._known.get(key)
        if version is not None and known in (None, version):
            return cached
        return await self._fresh(key)

    def _saw(self, key: ObjectKey, obj: dict[str, Any]) -> None:
        """Remember the version of the schedule a write of ours returned (or a read gave)."""
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if version is not None:
            self._known[key] = str(version)

    async def _fresh(self, key: ObjectKey) -> dict[str, Any] | None:
        try:
            obj = dict(await self._client.get(MigrationScheduleResource, key[1], namespace=key[0]))
        except ApiError as e:
            if e.status.code == 404:
                return None
            raise
        self._saw(key, obj)
        return obj

    async def _remove_finalizer(self, key: ObjectKey, obj: dict[str, Any]) -> None:
        """Remove our finalizer, keeping everyone else's."""

        def body(meta: dict[str, Any]) -> dict[str, Any]:
            finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
            return {
                "metadata": {
                    "resourceVersion": meta.get("resourceVersion"),
                    "finalizers": finalizers or None,
                }
            }

        await self._patch_fresh(key, obj, body)

    async def _patch_fresh(
        self,
        key: ObjectKey,
        obj: dict[str, Any],
        body_of: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any] | None:
        """Merge-patch the schedule with ``body_of(metadata)`` and return what the server
        answered (``obj`` when the body is empty); None when the schedule is gone.

        A body that writes ``metadata`` carries the resourceVersion it was computed from, so a
        concurrent change makes it a conflict and it is computed again from a fresh read: a
        merge patch replaces the finalizers list whole and must not drop another's."""
        for _ in range(5):
            body = body_of(obj.get("metadata") or {})
            if not body:  # a fresh read may leave nothing to write
                return obj
            try:
                patched = dict(
                    await self._client.patch(
                        MigrationScheduleResource,
                        key[1],
                        body,
                        namespace=key[0],
                        patch_type=PatchType.MERGE,
                    )
                )
            except ApiError as e:
                if e.status.code == 404:
                    return None
                if e.status.code != 409 or "metadata" not in body:
                    raise
                fresh = await self._fresh(key)
                if fresh is None:
                    return None
                obj = fresh
                continue
            self._saw(key, patched)
            return patched
        raise RuntimeError(f"finalizers of {key[0]}/{key[1]} keep changing; will retry")

    def _occurrence(
        self,
        policy: Mapping[str, Any],
        obj: dict[str, Any],
        items: dict[str, list[dict[str, Any]]],
        policy_type: str,
        now: dt.datetime,
    ) -> dt.datetime:
        """The occurrence a run of ``policy_type`` stands for (its name says it)."""
        occurrence = due_occurrence(
            policy,
            policy_type,
            self._last(obj, items[policy_type], policy_type),
            now,
            default_tz=self._tz,
        )
        return occurrence if occurrence is not None else now

    def _due(
        self,
        policy: Mapping[str, Any],
        obj: dict[str, Any],
        items: dict[str, list[dict[str, Any]]],
        now: dt.datetime,
    ) -> str | None:
        for policy_type in POLICY_TYPES:
            last = self._last(obj, items[policy_type], policy_type)
            if trigger_required(policy, policy_type, last, now, default_tz=self._tz):
                return policy_type
        return None

    def _sleep(
        self,
        policy: Mapping[str, Any],
        obj: dict[str, Any],
        items: dict[str, list[dict[str, Any]]],
        now: dt.datetime,
    ) -> float:
        upcoming = [
            t
            for policy_type in POLICY_TYPES
            if (
                t := next_trigger(
                    policy,
                    policy_type,
                    self._last(obj, items[policy_type], policy_type),
                    now,
                    default_tz=self._tz,
                )
            )
            is not None
        ]
        if not upcoming:
            return _MAX_SLEEP
        return max(0.0, min(_MAX_SLEEP, (min(upcoming) - now).total_seconds()))

    async def _policy(self, namespace: str, name: str) -> dict[str, Any] | str:
        """The policy (a NamespacedSchedulePolicy first), or the reason it cannot be used."""
        policy = await self._lookups.policy(namespace, name)
        if policy is None:
            return f"schedulepolicy {name} not found"
        try:
            validate_policy(policy)
        except PolicyError as e:
            return str(e)
        return policy

    async def _pair(
        self, namespace: str, spec: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, str | None]:
        """(pair, problem): the schedule's pair, and why it cannot be used now (None: it can)."""
        name = pair_name({"spec": spec})
        pair = await self._lookups.pair(namespace, name)
        if pair is None:
            return None, f"error getting clusterpair ({namespace}/{name}): not found"
        state = (pair.get("status") or {}).get("schedulerStatus") or '""'
        if state != ClusterPairStatus.READY:
            return (
                pair,
                f"ClusterPair {namespace}/{name} is not Ready (schedulerStatus {state}); waiting",
            )
        return pair, None

    async def _sync_static_copy(
        self, key: ObjectKey, obj: dict[str, Any], pair: dict[str, Any], now: dt.datetime
    ) -> tuple[str | None, bool]:
        """(problem, applicationActivated) after keeping the destination's copy current.

        Skipped (nothing to tell) while the copy and the pair are as at the last sync and
        that was less than ``remote_check_seconds`` ago: an activation there was not seen at
        the last sync, and is seen within that time."""
        pair_meta = pair.get("metadata") or {}
        made_from = (
            content_hash(static_copy(obj)),
            str(pair_meta.get("uid")),
            str(pair_meta.get("generation")),
        )
        last = self._copied.get(key)
        if (
            last is not None
            and last[0] == made_from
            and (now - last[1]).total_seconds() < self.remote_check_seconds
        ):
            return None, False
        try:
            destination = await self._destinations.get(pair)
            remote = await sync_static_copy(destination, obj)
        except StaticCopyError as e:
            return str(e), False
        except (RestError, PairConfigError, httpx2.HTTPError) as e:
            return unreachable_message(e), False
        self._copied[key] = (made_from, now)
        return None, bool((remote.get("status") or {}).get("applicationActivated"))

    async def _create_migration(self, key: ObjectKey, obj: dict[str, Any], name: str) -> None:
        meta = obj.get("metadata") or {}
        annotations = {
            k: v
            for k, v in (meta.get("annotations") or {}).items()
            if k != "kubectl.kubernetes.io/last-applied-configuration"
        }
        annotations[SCHEDULE_ANNOTATION] = key[1]
        migration = {
            "apiVersion": API_VERSION,
            "kind": "Migration",
            "metadata": {
                "name": name,
                "namespace": key[0],
                "annotations": annotations,
                "ownerReferences": [
                    {
                        "apiVersion": API_VERSION,
                        "kind": "MigrationSchedule",
                        "name": key[1],
                        "uid": meta.get("uid"),
                    }
                ],
            },
            "spec": ((obj.get("spec") or {}).get("template") or {}).get("spec") or {},
        }
        await self._client.create(MigrationResource.from_dict(migration))

    async def _save(self, look: _Look, changed: bool) -> None:
        """One merge patch of the schedule: its items when ``changed``, the look's RPO
        condition, and our finalizer when it is missing. A MigrationSchedule has no status
        subresource (``kube.resources``), so status and metadata go in one request. The
        finalizers are written from the version they were read at: a concurrent change makes
        the patch a conflict, and they are read again."""
        key = look.key
        status: dict[str, Any] = {}
        if changed:
            status["items"] = {t: look.items[t] for t in POLICY_TYPES if look.items[t]}
        rpo, look.rpo = look.rpo, None
        if rpo is not None:
            status["conditions"] = rpo.conditions

        def body(meta: dict[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {"status": status} if status else {}
            finalizers = list(meta.get("finalizers") or [])
            if FINALIZER not in finalizers:
                out["metadata"] = {
                    "resourceVersion": meta.get("resourceVersion"),
                    "finalizers": [*finalizers, FINALIZER],
                }
            return out

        patched = await self._patch_fresh(key, look.obj, body)
        if patched is None:
            raise _Gone
        look.obj = patched
        if rpo is not None:
            self._rpo[key] = rpo.breached
            if rpo.event is not None:
                look.notes.append(rpo.event)

    async def _delete_children(self, key: ObjectKey, obj: dict[str, Any]) -> None:
        status = obj.get("status") or {}
        for policy_type in POLICY_TYPES:
            for item in (status.get("items") or {}).get(policy_type) or []:
                try:
                    await self._client.delete(MigrationResource, item["name"], namespace=key[0])
                except ApiError as e:
                    if e.status.code != 404:
                        raise
        # Gone already (e.g. its namespace was deleted) is done as well.
        await self._remove_finalizer(key, obj)


def zone(name: str | None) -> dt.tzinfo | None:
    """The controller's default zone for policy times (None: the process's local zone)."""
    return ZoneInfo(name) if name else None
