"""Migration reconciler: Stork's stages and status, our engine underneath.

Stages for Metro DR: "" -> Applications (InProgress) -> Final (Successful, PartialSuccess or
Failed). There is no storage driver: with includeVolumes the Volumes stage only records that
volume data is not copied (the storage is shared), and PVs/PVCs travel as resources. A Migration
found InProgress after a restart is simply run again: every write is an idempotent apply.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import httpx2
from lightkube import ApiError, AsyncClient

from stork.api.constants import (
    GROUP,
    SCHEDULE_ANNOTATION,
    VERSION,
    ClusterPairStatus,
    MigrationStage,
    MigrationStatus,
)
from stork.api.timestamps import format_time
from stork.controller.clients import DestinationClients
from stork.controller.staticcopy import static_copy_path
from stork.kube.discovery import ResourceType
from stork.kube.pairconfig import PairConfigError
from stork.kube.resources import ClusterPairResource, MigrationResource, RuleResource
from stork.kube.rest import Rest, RestError, object_path
from stork.migration.apply import DestinationUnreachable
from stork.migration.engine import Job, MigrationError, migrate, resolve_namespaces
from stork.migration.ledger import UNCHANGED, Entry, bounded_resources, overall_status, summary
from stork.migration.memo import TransformMemo
from stork.migration.rules import COMMAND_TRIES, Executor, Item, RuleError, RuleRunner, parse_rule
from stork.migration.spec import MigrationOptions, label_selector
from stork.runtime.conditions import set_condition
from stork.runtime.events import NORMAL, WARNING, EventRecorder
from stork.runtime.informer import ObjectKey

log = logging.getLogger(__name__)

PAIR_NOT_READY_REQUEUE = 10.0
#: Per-resource Successful events per migration; one more event counts the rest.
SUCCESS_EVENTS_MAX = 50


_POD = ResourceType("", "v1", "Pod", "pods", True)
_MIGRATION = ResourceType(GROUP, VERSION, "Migration", "migrations", True)


def _rule_failure(rule: str, reason: str) -> Entry:
    """A ledger entry for a failed post-exec rule: the migration cannot count as Successful."""
    return Entry(
        "stork.libopenstorage.org/v1alpha1",
        "Rule",
        "",
        rule,
        MigrationStatus.FAILED,
        f"Error running PostExecRule: {reason}",
    )


def _now_precise() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class MigrationReconciler:
    """Runs each Migration once, to Final."""

    name = "migration"
    resource = MigrationResource

    def __init__(
        self,
        client: AsyncClient,
        events: EventRecorder,
        source: Rest,
        destinations: DestinationClients,
        admin_namespace: str = "kube-system",
        concurrency: int = 16,
        pod_exec: Executor | None = None,
        rule_tries: int = COMMAND_TRIES,
    ) -> None:
        self._client = client
        self._events = events
        self._source = source
        self._destinations = destinations
        self.admin_namespace = admin_namespace
        self.concurrency = concurrency
        self._pod_exec = pod_exec
        self._rule_tries = rule_tries
        self._memo = TransformMemo()

    async def _patch_status(self, key: ObjectKey, status: dict[str, Any]) -> None:
        # Through the engine's REST client, without decoding the answer: the final status of a
        # large migration is close to a megabyte, and the informer sees the result anyway.
        try:
            await self._source.request(
                "PATCH",
                object_path(_MIGRATION, key[0], key[1]) + "/status",
                body={"status": status},
                content_type="application/merge-patch+json",
            )
        except RestError as e:
            if e.status == 404:
                return  # deleted meanwhile: nothing to record
            raise

    async def _fail(self, key: ObjectKey, obj: dict[str, Any], reason: str) -> None:
        now = _now()
        status = dict(obj.get("status") or {})
        await self._patch_status(
            key,
            {
                "stage": MigrationStage.FINAL.value,
                "status": MigrationStatus.FAILED.value,
                "finishTimestamp": format_time(now),
                "conditions": set_condition(
                    list(status.get("conditions") or []),
                    "Complete",
                    False,
                    "Failed",
                    reason,
                    None,
                    now,
                ),
            },
        )
        await self._events.record(obj, WARNING, "Failed", reason)

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Advance the Migration; return when to look again (None: on the next change)."""
        if obj is None or (obj.get("metadata") or {}).get("deletionTimestamp"):
            return None
        if (obj.get("status") or {}).get("stage") == MigrationStage.FINAL.value:
            return None
        # The cache may lag behind our own last write: decide on the object as it is now.
        try:
            obj = dict(await self._client.get(MigrationResource, key[1], namespace=key[0]))
        except ApiError as e:
            if e.status.code == 404:
                return None
            raise
        status = dict(obj.get("status") or {})
        if status.get("stage") == MigrationStage.FINAL.value:
            return None
        opts = MigrationOptions.from_spec(obj.get("spec"))
        if not opts.cluster_pair:
            await self._events.record(
                obj, WARNING, "Failed", "clusterPair to migrate to cannot be empty"
            )
            return None
        if key[0] != self.admin_namespace and any(ns != key[0] for ns in opts.namespaces):
            await self._events.record(
                obj,
                WARNING,
                "Failed",
                "migration namespaces should only contain the current namespace",
            )
            return None
        for label, rule in (
            ("PreExecRule", opts.pre_exec_rule),
            ("PostExecRule", opts.post_exec_rule),
        ):
            if rule and not await self._rule_exists(key[0], rule):
                await self._fail(
                    key,
                    obj,
                    f"Error getting {label} {rule}: "
                    f'rules.stork.libopenstorage.org "{rule}" not found',
                )
                return None

        pair = await self._pair(key[0], opts.cluster_pair)
        if (
            pair is None
            or (pair.get("status") or {}).get("schedulerStatus") != ClusterPairStatus.READY
        ):
            state = (
                "not found"
                if pair is None
                else (pair.get("status") or {}).get("schedulerStatus") or '""'
            )
            message = f"scheduler Cluster pair is not ready. Status: {state}"
            if status.get("status") != MigrationStatus.PENDING.value:
                await self._patch_status(
                    key, {"stage": "", "status": MigrationStatus.PENDING.value}
                )
            await self._events.record(
                obj, WARNING, "Failed", f"Error migrating resources: {message}"
            )
            return PAIR_NOT_READY_REQUEUE

        scheduled = SCHEDULE_ANNOTATION in ((obj.get("metadata") or {}).get("annotations") or {})
        if scheduled and await self._remote_activated(pair, key[0], obj):
            await self._fail(key, obj, "migrated applications are active on remote cluster")
            return None

        started = _now()
        log.info("migration %s/%s: started", key[0], key[1])
        pre: list[Item] = []
        post: list[Item] = []
        rule_namespaces: list[str] = []
        for label, name, is_post in (
            ("PreExecRule", opts.pre_exec_rule, False),
            ("PostExecRule", opts.post_exec_rule, True),
        ):
            try:
                items = await self._rule_items(key[0], name, post=is_post)
                if items and not rule_namespaces:
                    rule_namespaces = (await resolve_namespaces(self._source, opts))[0]
            except (RuleError, MigrationError) as e:
                await self._fail(key, obj, f"Error running {label}: {e}")
                return None
            (post if is_post else pre).extend(items)
        background = None
        post_failure: Entry | None = None
        if pre:
            await self._patch_status(
                key,
                {
                    "stage": MigrationStage.PRE_EXEC_RULE.value,
                    "status": MigrationStatus.IN_PROGRESS.value,
                },
            )
            try:
                background = await self._rules().run(pre, rule_namespaces)
            except RuleError as e:
                await self._fail(key, obj, f"Error running PreExecRule: {e}")
                return None
        volume_finish = _now()
        await self._patch_status(
            key,
            {
                "stage": MigrationStage.APPLICATIONS.value,
                "status": MigrationStatus.IN_PROGRESS.value,
                "volumeMigrationFinishTimestamp": format_time(volume_finish),
                "finishTimestamp": None,
            },
        )
        mappings = ((pair.get("spec") or {}).get("platformOptions") or {}).get("rancher") or {}
        job = Job(
            name=key[1],
            namespace=key[0],
            options=opts,
            project_mappings=mappings.get("projectMappings") or {},
            started=started,
            concurrency=self.concurrency,
        )
        done: list[Entry] = []

        async def progress(entry: Entry) -> None:
            done.append(entry)

        try:
            destination = await self._destinations.get(pair)
            result = await migrate(self._source, destination, job, progress, self._memo)
        except (MigrationError, DestinationUnreachable, PairConfigError) as e:
            await self._fail(key, obj, f"Error migrating resources: {e}")
            return None
        finally:
            if background is not None:
                await background.stop()
        if post:
            await self._patch_status(key, {"stage": MigrationStage.POST_EXEC_RULE.value})
            try:
                await self._rules().run(post, rule_namespaces)
            except RuleError as e:
                post_failure = _rule_failure(opts.post_exec_rule, str(e))
                result.entries.append(post_failure)
        finished = _now()
        finished_precise = _now_precise()
        resources, omitted = bounded_resources(result.entries)
        # Stork: a post-exec rule that fails fails the migration, whatever was applied.
        outcome = MigrationStatus.FAILED if post_failure else overall_status(result.entries)
        total = len(result.entries)
        conditions = set_condition(
            list(status.get("conditions") or []),
            "Complete",
            outcome == MigrationStatus.SUCCESSFUL,
            outcome.value,
            f"{total} resources, {result.writes} written"
            + (
                f"; {omitted} successful entries left out of status.resources (size)"
                if omitted
                else ""
            ),
            (obj.get("metadata") or {}).get("generation"),
            finished,
        )
        patch_started = _now_precise()
        await self._patch_status(
            key,
            {
                "stage": MigrationStage.FINAL.value,
                "status": outcome.value,
                "resources": resources,
                "finishTimestamp": format_time(finished),
                "resourceMigrationFinishTimestamp": format_time(finished),
                "summary": summary(result.entries, (finished - volume_finish).total_seconds()),
                "conditions": conditions,
            },
        )
        patch_seconds = (_now_precise() - patch_started).total_seconds()
        for entry in result.entries:
            if entry.status != MigrationStatus.SUCCESSFUL:
                await self._events.record(
                    obj,
                    WARNING,
                    "Failed",
                    f"{entry.gvk} {entry.namespace}/{entry.name}: {entry.reason}",
                )
        await self._record_written(obj, result.entries)
        if result.forbidden:
            await self._events.record(
                obj,
                WARNING,
                "Forbidden",
                "not migrated, the controller may not list them on the source: "
                + ", ".join(result.forbidden),
            )
        for ns in result.skipped_namespaces:
            await self._events.record(
                obj,
                WARNING,
                f"namespace  {ns} was deleted, skipping migration",
                f'namespaces "{ns}" not found',
            )
        log.info(
            "migration %s/%s: %s, %d resources, %d written (seconds: %s, status %.3f of"
            " which the write %.3f)",
            key[0],
            key[1],
            outcome.value,
            total,
            result.writes,
            ", ".join(f"{k} {v}" for k, v in result.timings.items()),
            (_now_precise() - finished_precise).total_seconds(),
            patch_seconds,
        )
        kind = NORMAL if outcome == MigrationStatus.SUCCESSFUL else WARNING
        await self._events.record(
            obj,
            kind,
            outcome.value,
            f"Migration {outcome.value}: {total} resources, {result.writes} written",
        )
        return None

    async def _record_written(self, obj: dict[str, Any], entries: list[Entry]) -> None:
        """Stork's per-resource ``Successful`` events, for the objects this run wrote only.

        Stork sends one for every resource on every run, thousands per sync; an object that was
        not written has nothing new to say, and past :data:`SUCCESS_EVENTS_MAX` one event
        counts the rest (status.resources lists them all).
        """
        written = [
            e for e in entries if e.status == MigrationStatus.SUCCESSFUL and e.reason != UNCHANGED
        ]
        for entry in written[:SUCCESS_EVENTS_MAX]:
            await self._events.record(
                obj,
                NORMAL,
                "Successful",
                f"{entry.gvk} {entry.namespace}/{entry.name}: {entry.reason}",
            )
        if len(written) > SUCCESS_EVENTS_MAX:
            await self._events.record(
                obj,
                NORMAL,
                "Successful",
                f"{len(written) - SUCCESS_EVENTS_MAX} more resources migrated successfully",
            )

    async def _remote_activated(
        self, pair: dict[str, Any], namespace: str, obj: dict[str, Any]
    ) -> bool:
        """True when the destination's copy of this migration's schedule was activated."""
        schedule = (obj.get("metadata") or {}).get("annotations", {})[SCHEDULE_ANNOTATION]
        try:
            destination = await self._destinations.get(pair)
            remote = await destination.request("GET", static_copy_path(namespace, schedule))
        except (RestError, PairConfigError, httpx2.HTTPError):
            return False  # no copy, or unreachable: the migration itself will tell
        return bool((remote.json().get("status") or {}).get("applicationActivated"))

    def _rules(self) -> RuleRunner:
        if self._pod_exec is None:
            raise RuleError("this controller cannot run commands in pods")

        async def list_pods(namespace: str, labels: Mapping[str, str]) -> list[dict[str, Any]]:
            return [p async for p in self._source.list(_POD, namespace, label_selector(labels))]

        return RuleRunner(self._pod_exec, list_pods, tries=self._rule_tries)

    async def _rule_items(self, namespace: str, name: str, post: bool) -> list[Item]:
        if not name:
            return []
        try:
            rule = await self._client.get(RuleResource, name, namespace=namespace)
        except ApiError as e:
            raise RuleError(str(e.status.message)) from e
        return parse_rule(dict(rule), post=post)

    async def _rule_exists(self, namespace: str, name: str) -> bool:
        try:
            await self._client.get(RuleResource, name, namespace=namespace)
        except ApiError as e:
            if e.status.code == 404:
                return False
            raise
        return True

    async def _pair(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return dict(await self._client.get(ClusterPairResource, name, namespace=namespace))
        except ApiError as e:
            if e.status.code == 404:
                return None
            raise
