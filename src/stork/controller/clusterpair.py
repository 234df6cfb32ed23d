"""ClusterPair reconciler: is the destination reachable with the pair's credentials?

Beyond Stork, the destination is re-checked periodically (not only until the first success),
so a destination that goes away turns the pair Error with a Warning event, and Ready again when
it returns. Events are emitted on transitions, not on every reconcile.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
from lightkube import ApiError, AsyncClient
from lightkube.config import client_adapter
from lightkube.config.client_adapter import ConnectionParams
from lightkube.config.kubeconfig import SingleConfig
from lightkube.core.exceptions import ConfigError
from lightkube.resources.core_v1 import Secret

from stork.api.constants import ClusterPairStatus
from stork.controller.paircredentials import PairCredentialResolver, secret_reference
from stork.kube.pairconfig import PairConfigError, PairConfigRefusedError
from stork.kube.resources import ClusterPairResource
from stork.runtime.conditions import set_condition
from stork.runtime.events import NORMAL, WARNING, EventRecorder
from stork.runtime.informer import ObjectKey
from stork.runtime.status import merge_status

STORAGE_SKIPPED = "Skipping storage pairing since no storage options provided"
STORAGE_NO_DRIVER = "Storage pairing requested (options.token) but no storage driver is configured"
SCHEDULER_PAIRED = "Scheduler successfully paired"
INSECURE_CONDITION = "InsecureTransport"
INSECURE_MESSAGE = (
    "the pair's config sets insecure-skip-tls-verify: the destination's identity is not verified"
    " and its credentials could be taken by whoever answers in its place"
)

log = logging.getLogger(__name__)


async def probe_destination(config: SingleConfig, timeout: float) -> tuple[bool, str, str]:
    """(reachable, reason, message) for a pair's checked config; messages carry no credentials.

    ``/version`` must answer, and ``/api`` must accept the credentials (``/version`` is open to
    anonymous users, so it alone would not notice revoked credentials).
    """
    server = config.cluster.server
    try:
        async with client_adapter.AsyncClient(
            config, ConnectionParams(timeout=httpx2.Timeout(timeout), trust_env=False)
        ) as http:
            for path in ("/version", "/api"):
                answer = await http.get(path)
                if answer.status_code in (401, 403):
                    return (
                        False,
                        "Unauthorized",
                        f"destination {server} refused the pair's credentials"
                        f" ({answer.status_code})",
                    )
                answer.raise_for_status()
                if path == "/version":
                    git_version = answer.json().get("gitVersion", "unknown")
    except httpx2.HTTPStatusError as e:
        return False, "Unreachable", f"destination {server} answered {e.response.status_code}"
    except (httpx2.HTTPError, OSError, ValueError) as e:
        detail = str(e) or type(e).__name__
        return False, "Unreachable", f"destination {server} did not answer: {detail}"
    except (ConfigError, TypeError, KeyError) as e:  # a malformed credential
        return False, "InvalidConfig", f"cannot connect to destination {server}: {type(e).__name__}"
    return True, "Paired", f"destination {server} answered (Kubernetes {git_version})"


async def check_pair(
    resolver: PairCredentialResolver, pair: dict[str, Any], timeout: float
) -> tuple[bool, str, str, bool | None]:
    """(ready, reason, message, insecure): the pair's credentials checked, then probed
    (insecure is None when the credentials could not be used)."""
    try:
        credentials = await resolver.resolve(pair)
    except PairConfigRefusedError as e:
        return False, "Refused", str(e), None
    except PairConfigError as e:
        where = "spec.configSecretRef" if secret_reference(pair) else "spec.config"
        return False, "InvalidConfig", f"invalid {where}: {e}", None
    ready, reason, message = await probe_destination(credentials.config, timeout)
    return ready, reason, message, credentials.insecure


class ClusterPairReconciler:
    """Keeps ``status.schedulerStatus``/``storageStatus`` and conditions of every pair current."""

    name = "clusterpair"
    resource = ClusterPairResource

    def __init__(
        self,
        client: AsyncClient,
        events: EventRecorder,
        resolver: PairCredentialResolver,
        recheck_seconds: float = 60.0,
        probe_timeout: float = 5.0,
        on_gone: Callable[[ObjectKey], Awaitable[None]] | None = None,
    ) -> None:
        self._client = client
        self._events = events
        self._resolver = resolver
        self.recheck_seconds = recheck_seconds
        self.probe_timeout = probe_timeout
        self._on_gone = on_gone
        # key -> (generation, monotonic time) of the last probe: a status-only change (ours,
        # or anyone's) does not make the destination worth asking again before it is due.
        self._probed: dict[ObjectKey, tuple[Any, float]] = {}

    @staticmethod
    def for_secret(
        pairs: Callable[[], list[dict[str, Any]]],
    ) -> Callable[[ObjectKey, dict[str, Any] | None], list[ObjectKey]]:
        """A mapper: a pair Secret changed -> the pairs of its namespace that reference it."""

        def mapper(key: ObjectKey, _obj: dict[str, Any] | None) -> list[ObjectKey]:
            return [
                (key[0], str(p["metadata"]["name"]))
                for p in pairs()
                if p["metadata"].get("namespace") == key[0]
                and (secret_reference(p) or ("",))[0] == key[1]
            ]

        return mapper

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Probe the destination and record the outcome; look again after ``recheck_seconds``."""
        if obj is None or (obj.get("metadata") or {}).get("deletionTimestamp"):
            self._probed.pop(key, None)
            if self._on_gone is not None:
                await self._on_gone(key)
            return None
        generation = (obj.get("metadata") or {}).get("generation")
        # What the last probe saw: the pair's spec and, by reference, its Secret (whose
        # changes do not bump the pair's generation).
        seen = (generation, await self._secret_version(key[0], obj))
        last = self._probed.get(key)
        now_mono = time.monotonic()
        if last is not None and last[0] == seen and now_mono - last[1] < self.recheck_seconds:
            return self.recheck_seconds - (now_mono - last[1])
        spec = obj.get("spec") or {}
        old = dict(obj.get("status") or {})
        storage = (
            ClusterPairStatus.NOT_PROVIDED
            if "token" not in (spec.get("options") or {})
            else ClusterPairStatus.ERROR
        )
        ready, reason, message, insecure = await check_pair(self._resolver, obj, self.probe_timeout)
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
        conditions = set_condition(
            conditions,
            INSECURE_CONDITION,
            bool(insecure),
            {True: "SkipTLSVerify", False: "Verified", None: "NotChecked"}[insecure],
            {
                True: INSECURE_MESSAGE,
                False: "the destination's certificate is verified",
                None: "the pair's config cannot be used",
            }[insecure],
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
        if insecure and _condition_status(old, INSECURE_CONDITION) != "True":
            await self._events.record(obj, WARNING, INSECURE_CONDITION, INSECURE_MESSAGE)
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
        self._probed[key] = (seen, now_mono)
        return self.recheck_seconds

    async def _secret_version(self, namespace: str, pair: dict[str, Any]) -> str | None:
        """The resourceVersion of the pair's Secret (None: inline config, or no such Secret)."""
        ref = secret_reference(pair)
        if ref is None:
            return None
        try:
            secret = await self._client.get(Secret, ref[0], namespace=namespace)
        except ApiError as e:
            if e.status.code == 404:
                return None
            raise
        return secret.metadata.resourceVersion if secret.metadata else None


def _condition_status(status: dict[str, Any], type_: str) -> str | None:
    for c in status.get("conditions") or []:
        if c.get("type") == type_:
            return str(c.get("status"))
    return None


def _condition_message(status: dict[str, Any], type_: str) -> str | None:
    for c in status.get("conditions") or []:
        if c.get("type") == type_:
            return str(c.get("message"))
    return None
