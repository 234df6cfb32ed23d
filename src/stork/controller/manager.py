"""The body of ``stork run``: default policies, then every controller until SIGTERM.

Informers, ``/metrics`` and the health probes run on every replica; reconcilers only on the
leader (when leader election is on).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field, replace
from typing import Any

import httpx2
from lightkube import Client
from lightkube.config.kubeconfig import SingleConfig
from lightkube.resources.core_v1 import Secret

from stork.api.constants import FIELD_MANAGER, PAIR_SECRET_TYPE
from stork.controller.action import ActionReconciler, ActionSettings
from stork.controller.clients import DestinationClients
from stork.controller.clusterpair import ClusterPairReconciler
from stork.controller.default_policies import ensure_default_policies
from stork.controller.metrics import Metrics, StateCollector
from stork.controller.migration import MigrationReconciler, MigrationSettings
from stork.controller.migrationschedule import MigrationScheduleReconciler, zone
from stork.controller.paircredentials import PairCredentialResolver
from stork.controller.registrations import ensure_builtin_registrations
from stork.controller.resourcetransformation import ResourceTransformationReconciler
from stork.controller.schedulelookups import (
    ApiLookups,
    CachedLookups,
    cached_policy,
    for_pair,
    for_policy,
)
from stork.kube.errors import ClusterUnreachableError
from stork.kube.pairconfig import CONFINED, PairPolicy
from stork.kube.podexec import PodExec
from stork.kube.resources import (
    ClusterPairResource,
    MigrationResource,
    NamespacedSchedulePolicyResource,
    SchedulePolicyResource,
)
from stork.kube.stack import BULK_IN_FLIGHT, ClusterClient, cluster_client
from stork.migration.rules import COMMAND_TRIES
from stork.runtime.clock import SystemClock
from stork.runtime.controller import Controller, run_controllers
from stork.runtime.events import EventRecorder
from stork.runtime.health import (
    HttpServer,
    check_handler,
    metrics_handler,
    parse_bind_address,
)
from stork.runtime.informer import (
    INACTIVITY_TIMEOUT,
    WATCH_TIMEOUT,
    Informer,
    InformerFactory,
)
from stork.runtime.leader import (
    LEASE_NAME,
    LeaderElector,
    default_identity,
    default_namespace,
)
from stork.schedule import DEFAULT_POLICIES

log = logging.getLogger("stork")


@dataclass(frozen=True)
class ControllerOptions:
    """Settings of ``stork run``."""

    time_zone: str | None = None
    pair_check_interval: float = 60.0
    admin_namespace: str = "kube-system"
    migration_concurrency: int = 16
    #: Migrations run at once (the Migration controller's workers).
    concurrent_migrations: int = 4
    #: MigrationSchedules looked at at once (a look is a few milliseconds: most of it waits
    #: on the API server, so more workers than cores keep triggers on time).
    schedule_workers: int = 16
    rule_command_tries: int = COMMAND_TRIES
    migration_retry_seconds: float = 300.0
    leader_elect: bool = True
    leader_election_namespace: str = field(default_factory=default_namespace)
    leader_election_identity: str = field(default_factory=default_identity)
    metrics_bind_address: str = ":8080"
    health_probe_bind_address: str = ":8081"
    watch_timeout: float = WATCH_TIMEOUT
    """Seconds the API server keeps one watch open (it sends a bookmark just before)."""
    watch_inactivity_timeout: float = INACTIVITY_TIMEOUT
    """Seconds without an event or bookmark after which a watch is presumed dead."""
    #: What a ClusterPair's config may make the controller do (confined by default).
    pair_policy: PairPolicy = CONFINED
    #: Failovers, failbacks and drills (their admin namespace is ``admin_namespace``).
    actions: ActionSettings = field(default_factory=ActionSettings)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run(config: SingleConfig, options: ControllerOptions) -> None:
    """Run the controller in the foreground until SIGTERM or SIGINT."""
    # A signal during start-up (before the event loop handles them) is kept, not fatal: the
    # controller then stops as soon as it has started, cleanly.
    early: list[int] = []
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda signum, _frame: early.append(signum))
    try:
        with Client(config=config, field_manager=FIELD_MANAGER) as client:
            created = ensure_default_policies(client, DEFAULT_POLICIES)
            registered = ensure_builtin_registrations(client)
    except httpx2.TransportError as e:
        raise ClusterUnreachableError(
            f"the source cluster {config.cluster.server} does not answer: {e or type(e).__name__}"
        ) from e
    log.info("default schedule policies: %s", ", ".join(created) or "all present")
    log.info("built-in application registrations: %s", ", ".join(registered) or "all present")
    asyncio.run(_run_async(config, options, early))
    log.info("stopped")


def without_status_resources(migration: dict[str, Any]) -> dict[str, Any]:
    """A Migration as the cache keeps it: without ``status.resources`` (it can be close to a
    megabyte per Migration, and every reader of the cache looks only at the rest)."""
    status = migration.get("status")
    if isinstance(status, dict) and "resources" in status:
        migration["status"] = {k: v for k, v in status.items() if k != "resources"}
    return migration


@dataclass(frozen=True)
class _Caches:
    """The informer caches the metrics read at scrape time (a metrics.CacheView)."""

    migration_informer: Informer
    schedule_informer: Informer
    namespaced_policies: Informer
    cluster_policies: Informer

    def migrations(self) -> list[dict[str, Any]]:
        return self.migration_informer.values()

    def schedules(self) -> list[dict[str, Any]]:
        return self.schedule_informer.values()

    def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        return cached_policy(self.namespaced_policies, self.cluster_policies, namespace, name)


async def _serve(
    address: str, server: HttpServer, servers: list[HttpServer]
) -> tuple[str, int] | None:
    bind = parse_bind_address(address)
    if bind is None:
        return None
    servers.append(server)
    return await server.start(*bind)


@dataclass(frozen=True)
class Wiring:
    """The controllers of ``stork run`` on one cluster client, with their shared informers."""

    informers: InformerFactory
    controllers: list[Controller]
    caches: _Caches


def wire(
    cluster: ClusterClient,
    options: ControllerOptions,
    metrics: Metrics,
    destinations: DestinationClients,
    config: SingleConfig | None = None,
) -> Wiring:
    """Build the reconcilers and controllers; every kind is listed and watched once.

    ``config`` (this cluster's) gives the Action controller the synchronous client that
    activation uses; without it, Actions fail at their scale-up steps.
    """
    client, source = cluster.lightkube, cluster.rest
    events = EventRecorder(client)
    informers = InformerFactory(
        source,
        {MigrationResource: without_status_resources},
        watch_timeout=options.watch_timeout,
        inactivity_timeout=options.watch_inactivity_timeout,
    )
    migrations = MigrationReconciler(
        client,
        events,
        source,
        destinations,
        MigrationSettings(
            admin_namespace=options.admin_namespace,
            concurrency=options.migration_concurrency,
            rule_tries=options.rule_command_tries,
            retry_seconds=options.migration_retry_seconds,
        ),
        pod_exec=PodExec(client),
        metrics=metrics,
        bulk=cluster.bulk,
    )
    # What a schedule refers to is read from these caches, not with a GET per look.
    lookups = CachedLookups(
        migrations=informers.informer(MigrationResource),
        namespaced_policies=informers.informer(NamespacedSchedulePolicyResource),
        cluster_policies=informers.informer(SchedulePolicyResource),
        pairs=informers.informer(ClusterPairResource),
        fallback=ApiLookups(client),
    )
    schedules = Controller(
        informers,
        MigrationScheduleReconciler(
            client,
            events,
            SystemClock(),
            destinations,
            zone(options.time_zone),
            remote_check_seconds=options.pair_check_interval,
            on_trigger=metrics.trigger_delay.observe,
            lookups=lookups,
        ),
        workers=options.schedule_workers,
        metrics=metrics,
    )
    all_schedules = schedules.informer.values
    schedules.watch(MigrationResource, MigrationScheduleReconciler.for_migration)
    # A policy or a pair wakes only the schedules that name it.
    cluster_policies = schedules.watch(
        SchedulePolicyResource, for_policy(all_schedules, namespaced=False)
    )
    namespaced_policies = schedules.watch(
        NamespacedSchedulePolicyResource, for_policy(all_schedules, namespaced=True)
    )
    schedules.watch(ClusterPairResource, for_pair(all_schedules))
    migration_controller = Controller(
        informers, migrations, workers=options.concurrent_migrations, metrics=metrics
    )
    migration_controller.informer.observers.append(metrics.migration_changed)
    pairs = Controller(
        informers,
        ClusterPairReconciler(
            client,
            events,
            destinations.resolver,
            options.pair_check_interval,
            on_gone=lambda key: destinations.drop(*key),
        ),
        metrics=metrics,
    )
    # Only Secrets made for pairs are watched (and cached): never every Secret.
    pairs.watch(
        Secret,
        ClusterPairReconciler.for_secret(pairs.informer.values),
        field_selector=f"type={PAIR_SECRET_TYPE}",
    )
    transformations = Controller(
        informers,
        ResourceTransformationReconciler(client, events, source, destinations),
        metrics=metrics,
    )
    transformations.watch(
        ClusterPairResource,
        ResourceTransformationReconciler.for_pair(transformations.informer.keys),
    )
    actions = Controller(
        informers,
        ActionReconciler(
            client,
            events,
            source,
            destinations,
            lambda: _sync_client(config),
            str(config.cluster.server) if config is not None else "this cluster",
            replace(options.actions, admin_namespace=options.admin_namespace),
        ),
        metrics=metrics,
    )
    caches = _Caches(
        migration_controller.informer, schedules.informer, namespaced_policies, cluster_policies
    )
    return Wiring(
        informers, [pairs, migration_controller, schedules, transformations, actions], caches
    )


def _sync_client(config: SingleConfig | None) -> Client:
    """A synchronous client of this cluster (the activation functions are synchronous)."""
    if config is None:
        raise RuntimeError("this controller was wired without its cluster's configuration")
    return Client(config=config, field_manager=FIELD_MANAGER, trust_env=False)


async def _run_async(
    config: SingleConfig, options: ControllerOptions, early: list[int] | None = None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    if early:  # checked after the loop's handlers are in place: no signal falls in between
        stop.set()
    metrics = Metrics()
    cluster = cluster_client(config, metrics.request_hooks("source"), bulk_in_flight=BULK_IN_FLIGHT)
    client = cluster.lightkube
    destinations = DestinationClients(PairCredentialResolver(client, options.pair_policy), metrics)
    servers: list[HttpServer] = []
    try:
        wiring = wire(cluster, options, metrics, destinations, config)
        informers, controllers = wiring.informers, wiring.controllers
        metrics.add_state(StateCollector(wiring.caches))
        synced = informers.synced

        metrics.informers_synced.set_function(lambda: 1.0 if synced() else 0.0)

        await _serve(
            options.metrics_bind_address,
            HttpServer({"/metrics": metrics_handler(metrics.registry)}, "metrics"),
            servers,
        )
        await _serve(
            options.health_probe_bind_address,
            HttpServer(
                {
                    "/healthz": check_handler(lambda: True, "alive"),
                    "/readyz": check_handler(synced, "synced"),
                },
                "health probe",
            ),
            servers,
        )
        elector = None
        if options.leader_elect:
            metrics.set_leader(LEASE_NAME, False)
            elector = LeaderElector(
                client,
                options.leader_election_namespace,
                options.leader_election_identity,
                on_change=lambda leading: metrics.set_leader(LEASE_NAME, leading),
            )
            log.info(
                "leader election on (lease %s/%s, identity %s)",
                options.leader_election_namespace,
                LEASE_NAME,
                options.leader_election_identity,
            )
        else:
            metrics.set_leader(LEASE_NAME, True)
        log.info(
            "controller running (time zone %s); stop with SIGTERM", options.time_zone or "local"
        )
        await run_controllers(informers, controllers, stop, elector)
    finally:
        for server in servers:
            await server.close()
        await destinations.close()
        await cluster.aclose()
