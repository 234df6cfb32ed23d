"""Migration reconciler: Stork's stages and status, our engine underneath.

Stages for Metro DR: "" -> (PreExecRule) -> Applications (InProgress) -> (PostExecRule) ->
Final (Successful, PartialSuccess or Failed). There is no storage driver: with includeVolumes
the Volumes stage only records that volume data is not copied (the storage is shared), and
PVs/PVCs travel as resources. A Migration found InProgress after a restart is simply run again:
every write is an idempotent apply.

Every way a migration cannot go on ends in status (stage Final, status Failed, the reason in the
``Complete`` condition) and a Warning event, except what Stork re-checks (an empty clusterPair,
a pair that is not Ready, a destination copy that cannot be read): those say why in an event
and look again. A destination that stops answering is retried with capped back-off for
``retry_seconds`` before the migration fails; what was applied until then is recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx2
from lightkube import ApiError, AsyncClient

from stork.api.constants import (
    SCHEDULE_ANNOTATION,
    ClusterPairStatus,
    MigrationStage,
    MigrationStatus,
)
from stork.api.timestamps import format_time
from stork.controller.clients import DestinationClients
from stork.controller.metrics import Metrics
from stork.controller.migrationstatus import MigrationStatusWriter
from stork.controller.registrations import load_suspend_rules
from stork.controller.resourcetransformation import TransformNotReady, load_transforms
from stork.controller.staticcopy import static_copy_path
from stork.failover.standby import live_services
from stork.kube.discovery import NAMESPACES, ResourceType
from stork.kube.errors import Backoff, is_retryable
from stork.kube.pairconfig import PairConfigError
from stork.kube.resources import ClusterPairResource, MigrationResource, RuleResource
from stork.kube.rest import Rest, RestError
from stork.migration import dryrun
from stork.migration.apply import DestinationUnreachable
from stork.migration.collect import NAMED_AT_MOST, get_named
from stork.migration.engine import Job, Result, migrate
from stork.migration.errors import MigrationError
from stork.migration.ledger import Entry
from stork.migration.memo import TransformMemo
from stork.migration.namespaces import NamespaceSet, confined, resolve_namespace_set
from stork.migration.rules import (
    COMMAND_TRIES,
    Background,
    Executor,
    Item,
    RuleError,
    RuleRunner,
    parse_rule,
)
from stork.migration.spec import MigrationOptions, SpecError, label_selector
from stork.migration.transform import KindTransform, TransformInputs
from stork.runtime.events import NORMAL, WARNING, EventRecorder
from stork.runtime.informer import ObjectKey

log = logging.getLogger(__name__)

#: Seconds between two looks at a Migration whose pair is not Ready (Stork: 10 s).
PAIR_NOT_READY_REQUEUE = 10.0
#: A pair nobody has probed yet (status ""): looked at again soon, without a Warning...
PAIR_UNPROBED_REQUEUE = 2.0
#: ... for this many seconds; then the Warning says the pair is not ready.
UNPROBED_GRACE = 30.0
#: Seconds between two looks at a Migration whose ResourceTransformation is not Ready yet.
TRANSFORM_NOT_READY_REQUEUE = 5.0

_POD = ResourceType("", "v1", "Pod", "pods", True)


@dataclass(frozen=True)
class MigrationSettings:
    """The controller's settings that shape every migration."""

    admin_namespace: str = "kube-system"
    concurrency: int = 16
    rule_tries: int = COMMAND_TRIES
    #: How long a destination that does not answer is retried before the migration fails.
    retry_seconds: float = 300.0
    retry_backoff: Backoff = field(default_factory=lambda: Backoff(base=2.0, cap=30.0))


class _Stop(Exception):  # noqa: N818 - control flow of one reconcile, never seen outside
    """Ends this reconcile: fail the migration, or warn and look again later."""

    def __init__(
        self,
        reason: str,
        *,
        fail: bool = True,
        requeue: float | None = None,
        done: list[Entry] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fail = fail
        self.requeue = requeue
        self.done = done or []


def _final(obj: Mapping[str, Any] | None) -> bool:
    return ((obj or {}).get("status") or {}).get("stage") == MigrationStage.FINAL.value


@dataclass
class _Rules:
    pre: list[Item]
    post: list[Item]


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
        settings: MigrationSettings | None = None,
        pod_exec: Executor | None = None,
        metrics: Metrics | None = None,
        bulk: Rest | None = None,
    ) -> None:
        self._client = client
        self._events = events
        self._source = source
        #: The source's bulk lane (``kube.stack``): the engine's and the namespace set's LISTs.
        self._bulk = bulk or source
        self._destinations = destinations
        self.settings = settings or MigrationSettings()
        self._pod_exec = pod_exec
        self._metrics = metrics
        self._status = MigrationStatusWriter(source, events)
        self._memo = TransformMemo()
        #: When each migration's destination first failed to answer (monotonic), and how
        #: many times in a row: the retry budget of the Applications stage.
        self._retrying: dict[ObjectKey, tuple[float, int]] = {}
        #: When each migration first found its pair not probed yet (monotonic).
        self._unprobed: dict[ObjectKey, float] = {}

    @property
    def admin_namespace(self) -> str:
        """The namespace whose Migrations may cover other namespaces."""
        return self.settings.admin_namespace

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Advance the Migration; return when to look again (None: on the next change)."""
        if obj is None or (obj.get("metadata") or {}).get("deletionTimestamp") or _final(obj):
            self._retrying.pop(key, None)
            self._unprobed.pop(key, None)
            return None
        fresh = await self._fresh(key)
        if fresh is None or _final(fresh):
            return None
        if fresh.get("status") is None:
            # As Stork's objects show it before anything happened: stage and status "".
            await self._status.patch(key, {"stage": "", "status": ""})
        try:
            await self._run(key, fresh)
        except _Stop as stop:
            if stop.fail:
                self._retrying.pop(key, None)
                await self._status.fail(key, fresh, stop.reason, stop.done)
            elif stop.reason:
                await self._events.record(fresh, WARNING, "Failed", stop.reason)
            return stop.requeue
        self._retrying.pop(key, None)
        return None

    async def _fresh(self, key: ObjectKey) -> dict[str, Any] | None:
        """The object as it is now: the cache may lag behind our own last write."""
        try:
            return dict(await self._client.get(MigrationResource, key[1], namespace=key[0]))
        except ApiError as e:
            if e.status.code == 404:
                return None
            raise

    async def _run(self, key: ObjectKey, obj: dict[str, Any]) -> None:
        """The stages, in order; each raises _Stop when the migration cannot go on."""
        opts = self._options(obj)
        # The namespace set is resolved once, names and selectors, and checked before any
        # stage reads or runs anything; the rules and the engine use exactly this set.
        namespaces = await self._namespace_set(key[0], opts)
        rules = await self._load_rules(key[0], opts)
        transforms = await self._transforms(opts, namespaces)
        pair = await self._ready_pair(key, obj, opts)
        await self._check_not_activated(key[0], obj, pair)
        started = dt.datetime.now(dt.UTC).replace(microsecond=0)
        log.info("migration %s/%s: started%s", key[0], key[1], " (dry run)" if opts.dry_run else "")
        if opts.dry_run:
            # The rules were checked (they exist, they parse); a dry run runs no command.
            skipped = [
                f"{label} {name}"
                for label, name in (
                    ("preExecRule", opts.pre_exec_rule),
                    ("postExecRule", opts.post_exec_rule),
                )
                if name
            ]
            notes = [dryrun.RULES_SKIPPED.format(rules=" and ".join(skipped))] if skipped else []
            for note in notes:
                await self._events.record(obj, NORMAL, "DryRun", note)
            result = await self._applications(key, obj, opts, pair, namespaces, started, transforms)
            await self._status.finish(key, obj, result, False, [dryrun.NOTHING_WRITTEN, *notes])
            return
        background = await self._pre_exec(key, obj, rules, namespaces)
        try:
            result = await self._applications(key, obj, opts, pair, namespaces, started, transforms)
        finally:
            if background is not None:
                await background.stop()
        rule_failed = False
        if rules.post:
            await self._status.patch(key, {"stage": MigrationStage.POST_EXEC_RULE.value})
            try:
                await self._rules(namespaces).run(rules.post, namespaces.names)
            except RuleError as e:
                # Stork: a post-exec rule that fails fails the migration, whatever was applied.
                result.entries.append(_rule_failure(opts.post_exec_rule, str(e)))
                rule_failed = True
        await self._status.finish(key, obj, result, rule_failed)

    # -- checks ---------------------------------------------------------------------------

    def _options(self, obj: dict[str, Any]) -> MigrationOptions:
        try:
            opts = MigrationOptions.from_spec(obj.get("spec"))
        except SpecError as e:
            raise _Stop(str(e)) from e
        if not opts.cluster_pair:
            # Stork looks again: the spec may still be filled in.
            raise _Stop(
                "clusterPair to migrate to cannot be empty",
                fail=False,
                requeue=PAIR_NOT_READY_REQUEUE,
            )
        return opts

    async def _namespace_set(self, namespace: str, opts: MigrationOptions) -> NamespaceSet:
        """The Migration's checked namespace set, from one LIST of the source's namespaces (a
        few namespaces named without selectors: a GET each)."""
        try:
            if not opts.namespace_selectors and len(opts.namespaces) <= NAMED_AT_MOST:
                # Names only: the set is the names, so a Migration that may not cover them
                # is refused without reading any of them.
                allowed = confined(opts.namespaces, namespace, self.admin_namespace)
                objects = (
                    await get_named(self._bulk, NAMESPACES, opts.namespaces, dict)
                    if allowed
                    else []
                )
            else:
                objects = [o async for o in self._bulk.list(NAMESPACES, None)]
        except (RestError, httpx2.TransportError) as e:
            raise _Stop(f"unable to extract migration namespaces: {e}") from e
        try:
            return resolve_namespace_set(opts, objects, namespace, self.admin_namespace)
        except MigrationError as e:
            raise _Stop(str(e)) from e

    async def _load_rules(self, namespace: str, opts: MigrationOptions) -> _Rules:
        rules = _Rules([], [])
        for label, name, post in (
            ("PreExecRule", opts.pre_exec_rule, False),
            ("PostExecRule", opts.post_exec_rule, True),
        ):
            if not name:
                continue
            try:
                rule = await self._client.get(RuleResource, name, namespace=namespace)
            except ApiError as e:
                # Stork keeps looking: the Rule may be created after the Migration.
                raise _Stop(
                    f"Error getting {label} {name}: {e.status.message}",
                    fail=False,
                    requeue=PAIR_NOT_READY_REQUEUE,
                ) from e
            try:
                (rules.post if post else rules.pre).extend(parse_rule(dict(rule), post=post))
            except RuleError as e:
                raise _Stop(f"Error running {label}: {e}") from e
        return rules

    async def _transforms(
        self, opts: MigrationOptions, namespaces: NamespaceSet
    ) -> dict[str, tuple[KindTransform, ...]]:
        """The ResourceTransformation the spec names, once Ready in every namespace (Stork
        waits for it, with a Warning event, and looks again)."""
        try:
            return await load_transforms(self._client, opts.transform_specs, namespaces.names)
        except TransformNotReady as e:
            raise _Stop(str(e), fail=False, requeue=TRANSFORM_NOT_READY_REQUEUE) from e

    async def _ready_pair(
        self, key: ObjectKey, obj: dict[str, Any], opts: MigrationOptions
    ) -> dict[str, Any]:
        """The Migration's ClusterPair once it is Ready (else Pending, and a later look)."""
        try:
            pair: dict[str, Any] | None = dict(
                await self._client.get(ClusterPairResource, opts.cluster_pair, namespace=key[0])
            )
        except ApiError as e:
            if e.status.code != 404:
                raise
            pair = None
        state = None if pair is None else (pair.get("status") or {}).get("schedulerStatus") or ""
        if state == ClusterPairStatus.READY:
            self._unprobed.pop(key, None)
            return pair  # type: ignore[return-value]
        if (obj.get("status") or {}).get("status") != MigrationStatus.PENDING.value:
            await self._status.patch(key, {"stage": "", "status": MigrationStatus.PENDING.value})
        if state == "":
            # Not probed yet (a new pair, or a controller that just started): no Warning for
            # what is only a matter of seconds; past UNPROBED_GRACE it is worth one.
            first = self._unprobed.setdefault(key, time.monotonic())
            if time.monotonic() - first < UNPROBED_GRACE:
                raise _Stop("", fail=False, requeue=PAIR_UNPROBED_REQUEUE) from None
        shown = "not found" if state is None else state or '""'
        raise _Stop(
            f"Error migrating resources: scheduler Cluster pair is not ready. Status: {shown}",
            fail=False,
            requeue=PAIR_NOT_READY_REQUEUE,
        )

    async def _check_not_activated(
        self, namespace: str, obj: dict[str, Any], pair: dict[str, Any]
    ) -> None:
        """A scheduled migration stops once the destination's copy of its schedule was
        activated (the applications run there). Fails closed: a copy that cannot be read
        stops this migration (with a Warning) until it can."""
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        schedule = annotations.get(SCHEDULE_ANNOTATION)
        if not schedule:
            return
        try:
            destination = await self._destinations.get(pair)
            remote = await destination.request("GET", static_copy_path(namespace, schedule))
        except RestError as e:
            if e.status == 404:
                return  # no copy yet: nothing was activated
            raise _Stop(
                f"Error getting migrationschedule {namespace}/{schedule} on the destination:"
                f" {e.message}",
                fail=False,
                requeue=PAIR_NOT_READY_REQUEUE,
            ) from e
        except (PairConfigError, httpx2.TransportError) as e:
            raise _Stop(
                f"Error getting migrationschedule {namespace}/{schedule} on the destination: {e}",
                fail=False,
                requeue=PAIR_NOT_READY_REQUEUE,
            ) from e
        if (remote.json().get("status") or {}).get("applicationActivated"):
            raise _Stop("migrated applications are active on remote cluster")

    # -- stages ---------------------------------------------------------------------------

    async def _pre_exec(
        self, key: ObjectKey, obj: dict[str, Any], rules: _Rules, namespaces: NamespaceSet
    ) -> Background | None:
        if not rules.pre:
            return None
        await self._status.patch(
            key,
            {
                "stage": MigrationStage.PRE_EXEC_RULE.value,
                "status": MigrationStatus.IN_PROGRESS.value,
            },
        )
        try:
            return await self._rules(namespaces).run(rules.pre, namespaces.names)
        except RuleError as e:
            raise _Stop(f"Error running PreExecRule: {e}") from e

    async def _applications(
        self,
        key: ObjectKey,
        obj: dict[str, Any],
        opts: MigrationOptions,
        pair: dict[str, Any],
        namespaces: NamespaceSet,
        started: dt.datetime,
        transforms: dict[str, tuple[KindTransform, ...]],
    ) -> Result:
        """Copy the resources; a destination that does not answer is retried for a while."""
        await self._status.patch(
            key,
            {
                "stage": MigrationStage.APPLICATIONS.value,
                "status": MigrationStatus.IN_PROGRESS.value,
                "volumeMigrationFinishTimestamp": format_time(started),
                "finishTimestamp": None,
            },
        )
        mappings = ((pair.get("spec") or {}).get("platformOptions") or {}).get("rancher") or {}
        job = Job(
            name=key[1],
            namespace=key[0],
            options=opts,
            namespaces=namespaces,
            project_mappings=mappings.get("projectMappings") or {},
            started=started,
            concurrency=self.settings.concurrency,
            dry_run=opts.dry_run,
        )
        progress = self._status.progress(key, obj)
        try:
            destination = await self._destinations.get(pair)
            live = (
                frozenset()
                if opts.start_applications
                else await live_services(destination, namespaces.names)
            )
            job = replace(
                job,
                inputs=TransformInputs(await load_suspend_rules(self._source), transforms, live),
            )
            result = await migrate(self._bulk, destination, job, progress.add, self._memo)
        except (MigrationError, PairConfigError) as e:
            raise _Stop(f"Error migrating resources: {e}", done=progress.done) from e
        except (DestinationUnreachable, RestError, ApiError, httpx2.TransportError) as e:
            reason = f"Error migrating resources: {_describe(e)}"
            if isinstance(e, DestinationUnreachable) or is_retryable(e):
                delay = self._retry_delay(key)
                if delay is not None:
                    raise _Stop(
                        f"{reason}; retrying in {delay:.0f}s", fail=False, requeue=delay
                    ) from e
            raise _Stop(reason, done=progress.done) from e
        if self._metrics is not None and not opts.dry_run:
            self._metrics.drifted(result.drifted)
        return result

    def _retry_delay(self, key: ObjectKey) -> float | None:
        """Seconds until the next try of the Applications stage, None once the budget is spent."""
        now = time.monotonic()
        first, attempts = self._retrying.get(key, (now, 0))
        attempts += 1
        self._retrying[key] = (first, attempts)
        delay = self.settings.retry_backoff.delay(attempts)
        if now + delay - first > self.settings.retry_seconds:
            return None
        return delay

    def _rules(self, allowed: NamespaceSet) -> RuleRunner:
        if self._pod_exec is None:
            raise RuleError("this controller cannot run commands in pods")

        async def list_pods(namespace: str, labels: Mapping[str, str]) -> list[dict[str, Any]]:
            # Commands run only in pods of the migration's checked namespaces.
            if namespace not in allowed.names:
                raise RuleError(f"namespace {namespace} is not one this migration may touch")
            return [p async for p in self._source.list(_POD, namespace, label_selector(labels))]

        return RuleRunner(self._pod_exec, list_pods, tries=self.settings.rule_tries)


def _describe(error: BaseException) -> str:
    if isinstance(error, ApiError):
        return str(error.status.message)
    if isinstance(error, RestError):
        return error.message
    return str(error) or type(error).__name__


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
