"""Action reconciler: failovers, failbacks and drills, one stage step per reconcile.

Which cluster does what. Every ``stork run`` reconciles the Actions of its own cluster; the
Actions are created (by ``storkctl perform``) on the **destination**, the cluster failed over
to, so its controller runs them, as Stork's does:

============================  ===========================  ==========================
step                          failover                     failback
============================  ===========================  ==========================
validations                   here; the source probed      here; the source probed
suspend the schedule          source (reverse pair)        source (static-copy flow)
scale down, wait for pods     source (reverse pair)        here
last-mile Migration           created on the source, run   created here, run by this
                              by the source's controller   controller (reverse pair)
scale up                      here                         source (reverse pair)
rollback (on failure)         source (reverse pair)        here
============================  ===========================  ==========================

The source is reached only through the reverse pair: the ClusterPair named by the schedule's
template, in its namespace, on this cluster (checked by the controller's pair policy). A
source that does not answer during a failover's validations is skipped (the disaster case:
status condition ``SourceOperations=False`` with reason ``SourceUnreachable``, and a Warning
event); a failover's source steps failing later roll back and end Failed with the reason.

Status is written through the status subresource. Each transition sets ``finishTimestamp``
(Stork's: the time the previous stage ended, so also when the current one began, which the
timeouts measure from) and emits an event. Every step is idempotent, so a restart only
repeats the current step.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from lightkube import ApiError, AsyncClient, Client
from lightkube.types import PatchType

from stork.api.action import ActionStage, ActionStatus, ActionType
from stork.api.constants import FIELD_MANAGER, FINALIZER
from stork.api.timestamps import format_time, parse_time
from stork.controller.clients import DestinationClients
from stork.controller.clusterpair import check_pair
from stork.failover import drill_steps, failback_steps, failover_steps
from stork.failover.clusters import Side
from stork.failover.stages import Outcome, StageError, advance, flow_of, parse_stage
from stork.failover.steps import SOURCE_CONDITION, Run, StepResult, StepTable, failed
from stork.kube.errors import is_retryable
from stork.kube.resources import (
    ActionResource,
    ClusterPairResource,
    MigrationScheduleResource,
    NamespacedSchedulePolicyResource,
    SchedulePolicyResource,
)
from stork.kube.rest import Rest, RestError
from stork.runtime.clock import Clock, SystemClock
from stork.runtime.conditions import set_condition
from stork.runtime.events import NORMAL, WARNING, EventRecorder
from stork.runtime.informer import ObjectKey
from stork.runtime.status import merge_status

log = logging.getLogger(__name__)

STEPS: StepTable = {**failover_steps.STEPS, **failback_steps.STEPS, **drill_steps.STEPS}
#: Seconds before the next stage's step once a stage is done (the next stage starts at once).
NEXT_STAGE = 0.05


@dataclass(frozen=True)
class ActionSettings:
    """The controller's settings of failovers, failbacks and drills."""

    admin_namespace: str = "kube-system"
    #: How often, and how far apart, the source is probed before it counts as unreachable
    #: (Stork: 5 times, 6 s apart).
    probe_tries: int = 3
    probe_interval: float = 2.0
    probe_timeout: float = 5.0
    #: How long to wait for the pods of what was scaled down to terminate.
    scale_down_wait: float = 300.0
    #: How long the last-mile Migration may take before the action rolls back.
    last_mile_timeout: float = 900.0
    #: How long a drill's namespaces may take to be deleted.
    teardown_timeout: float = 300.0
    #: Seconds between two looks while a step waits.
    poll: float = 2.0


class _Env:
    """What the steps use: this cluster, the reverse pair's cluster, the settings."""

    def __init__(
        self,
        reconciler: ActionReconciler,
        local: Side,
    ) -> None:
        self._r = reconciler
        self.local = local
        s = reconciler.settings
        self.admin_namespace = s.admin_namespace
        self.probe_tries = s.probe_tries
        self.probe_interval = s.probe_interval
        self.scale_down_wait = s.scale_down_wait
        self.last_mile_timeout = s.last_mile_timeout
        self.teardown_timeout = s.teardown_timeout
        self.poll = s.poll

    async def _get(self, resource: Any, name: str, namespace: str | None) -> dict[str, Any] | None:
        if not name:
            return None
        try:
            return dict(await self._r.client.get(resource, name, namespace=namespace))
        except ApiError as e:
            if e.status.code == 404:
                return None
            raise

    async def schedule(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._get(MigrationScheduleResource, name, namespace)

    async def pair(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._get(ClusterPairResource, name, namespace)

    async def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._get(NamespacedSchedulePolicyResource, name, namespace) or (
            await self._get(SchedulePolicyResource, name, None)
        )

    async def remote(self, pair: Mapping[str, Any]) -> Side:
        destinations = self._r.destinations
        rest = await destinations.get(dict(pair))
        credentials = await destinations.resolver.resolve(dict(pair))
        config = credentials.config

        def sync() -> Client:
            return Client(config=config, field_manager=FIELD_MANAGER, trust_env=False)

        return Side("source", rest, str(config.cluster.server), sync)

    async def probe(self, pair: Mapping[str, Any]) -> tuple[bool, str]:
        said = ""
        for attempt in range(max(1, self.probe_tries)):
            if attempt:
                await asyncio.sleep(self.probe_interval)
            ready, _, said, _ = await check_pair(
                self._r.destinations.resolver, dict(pair), self._r.settings.probe_timeout
            )
            # check_pair speaks of the pair's far side as "destination": here it is the source.
            said = said.removeprefix("destination ")
            if ready:
                return True, said
        return False, said


def _now(clock: Clock) -> dt.datetime:
    return clock.now().astimezone(dt.UTC).replace(microsecond=0)


class ActionReconciler:
    """Runs each Action to Final, one stage step per reconcile."""

    name = "action"
    resource = ActionResource

    def __init__(
        self,
        client: AsyncClient,
        events: EventRecorder,
        local: Rest,
        destinations: DestinationClients,
        local_sync: Callable[[], Client],
        local_host: str,
        settings: ActionSettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.events = events
        self.destinations = destinations
        self.settings = settings or ActionSettings()
        self._local = Side("destination", local, local_host, local_sync)
        self._clock = clock or SystemClock()

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Advance the Action by one step; return when to look again (None: on a change)."""
        if obj is None:
            return None
        action = await self._fresh(key)
        if action is None:
            return None
        meta = action.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            await self._delete(key, action)
            return None
        if FINALIZER not in (meta.get("finalizers") or []):
            await self._finalizers(key, action, add=True)
            return NEXT_STAGE
        status = action.get("status") or {}
        try:
            stage = parse_stage(status.get("stage"))
            action_type = ActionType(str((action.get("spec") or {}).get("actionType") or ""))
            flow_of(action_type)
        except (StageError, ValueError) as e:
            if status.get("stage") == ActionStage.FINAL.value:
                return None
            reason = (
                str(e)
                if isinstance(e, StageError)
                else (
                    "invalid value received for Action.Spec.ActionType: "
                    f"{(action.get('spec') or {}).get('actionType')!r}"
                )
            )
            await self._write(
                key,
                action,
                {
                    "stage": ActionStage.FINAL.value,
                    "status": ActionStatus.FAILED.value,
                    "reason": reason,
                    "finishTimestamp": format_time(_now(self._clock)),
                },
            )
            await self.events.record(action, WARNING, "ActionController", reason)
            return None
        if stage is ActionStage.FINAL:
            return None
        step = STEPS[(action_type, stage)]
        now = _now(self._clock)
        run = Run(key, action, action_type, stage, now, parse_time(status.get("finishTimestamp")))
        try:
            result = await step(run, _Env(self, self._local))
        except (httpx2.HTTPError, ApiError, RestError, OSError) as e:
            what = stage.value or "Validations"
            if isinstance(e, ApiError | RestError) and not is_retryable(e):
                # Refused (RBAC, validation, gone): trying again changes nothing; say why.
                message = e.status.message if isinstance(e, ApiError) else e.message
                result = failed(f"{what}: {message}")
            else:
                # A cluster that does not answer now: the step is tried again (with back-off).
                log.warning("action %s/%s: %s: %s", key[0], key[1], what, e)
                raise
        return await self._apply(key, action, run, result)

    async def _apply(
        self, key: ObjectKey, action: dict[str, Any], run: Run, result: StepResult
    ) -> float | None:
        """Record the step's events and status; move to the next stage when it is done."""
        for kind, reason, message in result.events:
            await self.events.record(action, kind, reason, message)
        status = action.get("status") or {}
        patch: dict[str, Any] = dict(result.status)
        conditions = list(status.get("conditions") or [])
        if result.source_condition is not None:
            ok, why, message = result.source_condition
            generation = (action.get("metadata") or {}).get("generation")
            conditions = set_condition(
                conditions, SOURCE_CONDITION, ok, why, message, generation, run.now
            )
            patch["conditions"] = conditions
        failed_stage = status.get("failedStage")
        if result.outcome is None:
            patch["status"] = result.waiting_status
            if not failed_stage and result.reason:
                patch["reason"] = result.reason
            await self._write(key, action, patch)
            return result.requeue
        skipped = any(
            c.get("type") == SOURCE_CONDITION and c.get("status") == "False" for c in conditions
        )
        earlier = parse_stage(failed_stage) if failed_stage else None
        step = advance(run.action_type, run.stage, result.outcome, earlier, skipped)
        patch.update(
            stage=step.stage.value,
            status=step.status.value,
            finishTimestamp=format_time(run.now),
            failedStage=step.failed_stage.value if step.failed_stage else None,
        )
        if result.outcome is Outcome.FAILED and earlier is None:
            patch["reason"] = result.reason
        elif earlier is None:
            patch["reason"] = ""
        await self._write(key, action, patch)
        log.info(
            "action %s/%s: %s -> %s (%s)",
            key[0],
            key[1],
            run.stage.value or "Validations",
            step.stage.value,
            step.status.value or "next",
        )
        if step.stage is not ActionStage.FINAL:
            return NEXT_STAGE
        final_reason = str(patch.get("reason") if "reason" in patch else status.get("reason") or "")
        if step.status is ActionStatus.SUCCESSFUL:
            await self.events.record(
                action, NORMAL, "Successful", f"{run.action_type.value} completed successfully"
            )
        else:
            await self.events.record(
                action,
                WARNING,
                "Failed",
                f"{run.action_type.value} failed: {final_reason or 'see status'}",
            )
        return None

    async def _write(self, key: ObjectKey, action: dict[str, Any], patch: dict[str, Any]) -> None:
        await merge_status(self.client, ActionResource, key, patch)

    async def _fresh(self, key: ObjectKey) -> dict[str, Any] | None:
        try:
            return dict(await self.client.get(ActionResource, key[1], namespace=key[0]))
        except ApiError as e:
            if e.status.code == 404:
                return None
            raise

    async def _finalizers(self, key: ObjectKey, action: dict[str, Any], *, add: bool) -> None:
        """Add (or remove) our finalizer, keeping everyone else's (a conflict is retried)."""
        meta = action.get("metadata") or {}
        others = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
        finalizers = [*others, FINALIZER] if add else others
        try:
            await self.client.patch(
                ActionResource,
                key[1],
                {
                    "metadata": {
                        "resourceVersion": meta.get("resourceVersion"),
                        "finalizers": finalizers or None,
                    }
                },
                namespace=key[0],
                patch_type=PatchType.MERGE,
            )
        except ApiError as e:
            if e.status.code != 404:
                raise

    async def _delete(self, key: ObjectKey, action: dict[str, Any]) -> None:
        """A deleted drill takes its namespaces with it; then the finalizer goes."""
        meta = action.get("metadata") or {}
        if FINALIZER not in (meta.get("finalizers") or []):
            return
        if (action.get("spec") or {}).get("actionType") == ActionType.DRILL.value:
            drill = (action.get("status") or {}).get("drill") or {}
            names = [str(n) for n in (drill.get("namespaces") or {}).values()]
            left = await drill_steps.delete_drill_namespaces(
                _Env(self, self._local), names, str(meta.get("uid") or "")
            )
            if left:
                log.info("drill %s/%s: deleting %s", key[0], key[1], ", ".join(left))
        await self._finalizers(key, action, add=False)
