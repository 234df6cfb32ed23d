"""Leader election on a ``coordination.k8s.io/v1`` Lease, as client-go/controller-runtime do it.

Timings are controller-runtime's defaults: a lease lasts 15 s, the leader gives up when it
could not renew for 10 s, and every candidate retries every 2 s. Updates carry the Lease's
resourceVersion, so of two candidates writing at once only one wins (the other gets 409).

A lease held by someone else counts as expired when its record has not changed for its
duration *as measured by this process's own monotonic clock* (client-go's rule): other pods'
clocks and the renewTime they wrote are never compared with ours. A released lease (empty
holder) can be taken at once. The leader gives the lease up on shutdown, so a successor does
not wait for it to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from lightkube import ApiError, AsyncClient
from lightkube.models.coordination_v1 import LeaseSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease

log = logging.getLogger(__name__)

LEASE_NAME = "stork-controller"
LEASE_DURATION = 15.0
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0


def default_identity() -> str:
    """``$POD_NAME``, else the host name with a random suffix (two processes on one host)."""
    pod = os.environ.get("POD_NAME")
    if pod:
        return pod
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


def default_namespace() -> str:
    """``$POD_NAMESPACE``, else ``kube-system``."""
    return os.environ.get("POD_NAMESPACE") or "kube-system"


@dataclass(frozen=True)
class LeaseRecord:
    """The fields of a Lease that the election reads."""

    holder: str
    duration: float
    renew_time: dt.datetime | None
    acquire_time: dt.datetime | None
    transitions: int

    @classmethod
    def of(cls, lease: Lease) -> LeaseRecord:
        """The record of a Lease object."""
        spec = lease.spec or LeaseSpec()
        return cls(
            holder=spec.holderIdentity or "",
            duration=float(spec.leaseDurationSeconds or LEASE_DURATION),
            renew_time=spec.renewTime,
            acquire_time=spec.acquireTime,
            transitions=spec.leaseTransitions or 0,
        )


class Action(enum.Enum):
    """What a candidate does next."""

    CREATE = "create"  # no Lease yet
    RENEW = "renew"  # we hold it
    TAKE = "take"  # free or expired: take it over
    WAIT = "wait"  # someone else holds it


def decide(record: LeaseRecord | None, identity: str, unchanged_for: float) -> Action:
    """The next step, given the Lease (None: absent) and how long its record has not changed.

    ``unchanged_for`` is measured on this process's monotonic clock since it first saw the
    current record (0 for a record seen for the first time).
    """
    if record is None:
        return Action.CREATE
    if record.holder == identity:
        return Action.RENEW
    if not record.holder or unchanged_for >= record.duration:
        return Action.TAKE
    return Action.WAIT


@dataclass
class Observer:
    """Remembers when the current Lease record was first seen (monotonic seconds)."""

    record: LeaseRecord | None = None
    since: float = 0.0

    def see(self, record: LeaseRecord | None, now: float) -> float:
        """Note ``record`` seen at ``now``; return how long it has been unchanged."""
        if record != self.record:
            self.record, self.since = record, now
        return now - self.since


@dataclass
class LeaderElector:
    """Campaigns for a Lease and runs ``lead`` while holding it, stopping it once lost."""

    client: AsyncClient
    namespace: str
    identity: str
    name: str = LEASE_NAME
    lease_duration: float = LEASE_DURATION
    renew_deadline: float = RENEW_DEADLINE
    retry_period: float = RETRY_PERIOD
    on_change: Callable[[bool], None] | None = None
    clock: Callable[[], float] = time.monotonic
    _observer: Observer = field(default_factory=Observer)
    _lease: Lease | None = None
    _leading: bool = False

    @property
    def is_leader(self) -> bool:
        """Whether this process holds the lease right now."""
        return self._leading

    async def run(self, lead: Callable[[], Coroutine[Any, Any, None]], stop: asyncio.Event) -> None:
        """Until ``stop``: acquire, run ``lead`` while renewing, cancel it when the lease is lost.

        On ``stop`` the leader cancels ``lead``, waits for it to end, then releases the lease.
        """
        while not stop.is_set():
            if not await self._until(stop, self._acquire):
                break
            self._set_leading(True)
            log.info("became leader (lease %s/%s)", self.namespace, self.name)
            task = asyncio.create_task(lead(), name="leader-work")
            try:
                lost = await self._keep(task, stop)
            finally:
                self._set_leading(False)
                task.cancel()
                await asyncio.wait([task])  # its outcome is read below
            error = task.exception() if not task.cancelled() else None
            if error is not None:
                await self._release()
                raise error
            if lost:
                log.warning("lost the lease %s/%s; stopped reconciling", self.namespace, self.name)
            else:
                await self._release()
                break

    def _set_leading(self, leading: bool) -> None:
        self._leading = leading
        if self.on_change is not None:
            self.on_change(leading)

    async def _until(
        self, stop: asyncio.Event, attempt: Callable[[], Coroutine[Any, Any, bool]]
    ) -> bool:
        """Try every retry period until ``attempt`` succeeds (True) or ``stop`` is set (False)."""
        while not stop.is_set():
            if await attempt():
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_period)
        return False

    async def _keep(self, task: asyncio.Task[None], stop: asyncio.Event) -> bool:
        """Renew until the lease is lost (True), or ``stop``/``task`` ends (False)."""
        last_renew = self.clock()
        stopper = asyncio.create_task(stop.wait())
        try:
            while True:
                done, _ = await asyncio.wait(
                    [task, stopper], timeout=self.retry_period, return_when=asyncio.FIRST_COMPLETED
                )
                if done:
                    return False
                try:
                    renewed = await asyncio.wait_for(
                        self._acquire(), max(0.1, self.renew_deadline - (self.clock() - last_renew))
                    )
                except TimeoutError:
                    renewed = False
                if renewed:
                    last_renew = self.clock()
                elif self._lost() or self.clock() - last_renew >= self.renew_deadline:
                    return True
        finally:
            stopper.cancel()

    def _lost(self) -> bool:
        record = self._observer.record
        return record is not None and record.holder != self.identity

    async def _acquire(self) -> bool:
        """One attempt to create, renew or take the lease; True when we hold it afterwards."""
        try:
            try:
                lease: Lease | None = await self.client.get(
                    Lease, self.name, namespace=self.namespace
                )
            except ApiError as e:
                if e.status.code != 404:
                    raise
                lease = None
            record = LeaseRecord.of(lease) if lease is not None else None
            action = decide(record, self.identity, self._observer.see(record, self.clock()))
            if action is Action.WAIT:
                return False
            now = dt.datetime.now(dt.UTC)
            if action is Action.CREATE:
                self._lease = await self.client.create(
                    Lease(
                        metadata=ObjectMeta(name=self.name, namespace=self.namespace),
                        spec=self._spec(now, now, 0),
                    )
                )
            else:
                assert lease is not None
                assert record is not None
                if action is Action.RENEW:
                    spec = self._spec(record.acquire_time or now, now, record.transitions)
                else:
                    spec = self._spec(now, now, record.transitions + 1)
                lease.spec = spec  # metadata keeps resourceVersion: a concurrent write gets 409
                self._lease = await self.client.replace(lease)
            self._observer.see(LeaseRecord.of(self._lease), self.clock())
            return True
        except ApiError as e:
            if e.status.code not in (404, 409):
                log.warning("lease %s/%s: %s", self.namespace, self.name, e.status.message)
            return False
        except Exception as e:  # noqa: BLE001 - the API can fail in many ways; the next try decides
            log.warning("lease %s/%s: %s: %s", self.namespace, self.name, type(e).__name__, e)
            return False

    def _spec(self, acquired: dt.datetime, renewed: dt.datetime, transitions: int) -> LeaseSpec:
        return LeaseSpec(
            holderIdentity=self.identity,
            leaseDurationSeconds=round(self.lease_duration),
            acquireTime=acquired,
            renewTime=renewed,
            leaseTransitions=transitions,
        )

    async def _release(self) -> None:
        """Give the lease up (empty holder) so that a successor takes over at once."""
        lease = self._lease
        if lease is None or lease.spec is None or lease.spec.holderIdentity != self.identity:
            return
        lease.spec = LeaseSpec(
            holderIdentity="",
            leaseDurationSeconds=1,
            acquireTime=lease.spec.acquireTime,
            renewTime=dt.datetime.now(dt.UTC),
            leaseTransitions=lease.spec.leaseTransitions,
        )
        try:
            await self.client.replace(lease)
            log.info("released the lease %s/%s", self.namespace, self.name)
        except Exception as e:  # noqa: BLE001 - best effort: otherwise the lease expires
            log.warning("could not release the lease: %s: %s", type(e).__name__, e)
        self._lease = None
