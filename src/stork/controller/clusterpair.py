"""ClusterPair reconciler: is the destination reachable with the pair's credentials?

Beyond Stork, the destination is re-checked periodically (not only until the first success),
so a destination that goes away turns the pair Error with a Warning event, and Ready again when
it returns. Events are emitted on transitions, not on every reconcile.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import httpx2
from lightkube import AsyncClient
from lightkube.config import client_adapter
from lightkube.config.client_adapter import ConnectionParams

from stork.api.constants import ClusterPairStatus
from stork.kube.pairconfig import PairConfigError, pair_client_config
from stork.kube.resources import ClusterPairResource
from stork.runtime.conditions import set_condition
from stork.runtime.events import NORMAL, WARNING, EventRecorder
from stork.runtime.informer import ObjectKey
from stork.runtime.status import merge_status

STORAGE_SKIPPED = "Skipping storage pairing since no storage options provided"
STORAGE_NO_DRIVER = "Storage pairing requested (options.token) but no storage driver is configured"
SCHEDULER_PAIRED = "Scheduler successfully paired"

log = logging.getLogger(__name__)


async def probe_destination(spec_config: Any, timeout: float) -> tuple[bool, str, str]:
    """(reachable, reason, message) for a pair's destination; messages carry no credentials.

    ``/version`` must answer, and ``/api`` must accept the credentials (``/version`` is open to
    anonymous users, so it alone would not notice revoked credentials).
    """
    try:
        config = pair_client_config(spec_config)
    except PairConfigError as e:
        return False, "InvalidConfig", f"invalid spec.config: {e}"
    server = config.cluster.server
    try:
        async with client_adapter.AsyncClient(
            config, ConnectionParams(timeout=httpx2.Timeout(timeout))
        ) as http:
            version = await http.get("/version")
            version.raise_for_status()
            api = await http.get("/api")
            if api.status_code in (401, 403):
                return (
                    False,
                    "Unauthorized",
                    f"destination {server} refused the pair's credentials ({api.status_code})",
                )
            api.raise_for_status()
            git_version = version.json().get("gitVersion", "unknown")
    except httpx2.HTTPStatusError as e:
        return False, "Unreachable", f"destination {server} answered {e.response.status_code}"
    except (httpx2.HTTPError, OSError, ValueError) as e:
        detail = str(e) or type(e).__name__
        return False, "Unreachable", f"destination {server} did not answer: {detail}"
    except Exception as e:  # an exec plugin or a malformed credential can fail in many ways
        return False, "InvalidConfig", f"cannot connect to destination {server}: {type(e).__name__}"
    return True, "Paired", f"destination {server} answered (Kubernetes {git_version})"


class ClusterPairReconciler:
    """Keeps ``status.schedulerStatus``/``storageStatus`` and conditions of every pair current."""

    name = "clusterpair"
    resource = ClusterPairResource

    def __init__(
        self,
        client: AsyncClient,
        events: EventRecorder,
        recheck_seconds: float = 60.0,
        probe_timeout: float = 5.0,
    ) -> None:
        self._client = client
        self._events = events
        self.recheck_seconds = recheck_seconds
        self.probe_timeout = probe_timeout
        # key -> (generation, monotonic time) of the last probe: a status-only change (ours,
        # or anyone's) does not make the destination worth asking again before it is due.
        self._probed: dict[ObjectKey, tuple[Any, float]] = {}

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Probe the destination and record the outcome; look again after ``recheck_seconds``."""
        if obj is None or (obj.get("metadata") or {}).get("deletionTimestamp"):
            self._probed.pop(key, None)
            return None
        generation = (obj.get("metadata") or {}).get("generation")
        last = self._probed.get(key)
        now_mono = time.monotonic()
        if last is not None and last[0] == generation and now_mono - last[1] < self.recheck_seconds:
            return self.recheck_seconds - (now_mono - last[1])
        spec = obj.get("spec") or {}
        old = dict(obj.get("status") or {})
        storage = (
            ClusterPairStatus.NOT_PROVIDED
            if "token" not in (spec.get("options") or {})
            else ClusterPairStatus.ERROR
        )
        ready, reason, message = await probe_destination(spec.get("config"), self.probe_timeout)
        scheduler = ClusterPairStatus.READY if ready else ClusterPairStatus.ERROR
        now = dt.datetime.now(dt.UTC)
        conditions = list(old.get("conditions") or [])
        conditions = set_condition(
            conditions, "SchedulerReady", ready, reason, message, generation, now
        )
        conditions = set_condition(
            conditions,
            "StorageReady",
            False,
            "NotProvided" if storage == ClusterPairStatus.NOT_PROVIDED else "NoStorageDriver",
            STORAGE_SKIPPED if storage == ClusterPairStatus.NOT_PROVIDED else STORAGE_NO_DRIVER,
            generation,
            now,
        )
        new = {
            "schedulerStatus": scheduler.value,
            "storageStatus": storage.value,
            "remoteStorageId": old.get("remoteStorageId") or "",
            "conditions": conditions,
        }
        if old.get("schedulerStatus") != new["schedulerStatus"]:
            log.info(
                "clusterpair %s/%s: scheduler %s (%s)", key[0], key[1], scheduler.value, message
            )
        if any(old.get(k) != v for k, v in new.items()):
            await merge_status(self._client, ClusterPairResource, key, new)
        if old.get("storageStatus") != storage.value:
            if storage == ClusterPairStatus.NOT_PROVIDED:
                await self._events.record(obj, NORMAL, "NotProvided", STORAGE_SKIPPED)
            else:
                await self._events.record(obj, WARNING, "Error", STORAGE_NO_DRIVER)
        if old.get("schedulerStatus") != scheduler.value or (
            not ready and _condition_message(old, "SchedulerReady") != message
        ):
            if ready:
                await self._events.record(obj, NORMAL, "Ready", SCHEDULER_PAIRED)
            else:
                await self._events.record(obj, WARNING, "Error", message)
        self._probed[key] = (generation, now_mono)
        return self.recheck_seconds


def _condition_message(status: dict[str, Any], type_: str) -> str | None:
    for c in status.get("conditions") or []:
        if c.get("type") == type_:
            return str(c.get("message"))
    return None
