"""The body of ``stork run``: default policies, then every controller until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from lightkube import AsyncClient, Client
from lightkube.config.kubeconfig import SingleConfig

from stork.api.constants import FIELD_MANAGER
from stork.controller.clients import DestinationClients, rest_for
from stork.controller.clock import SystemClock
from stork.controller.clusterpair import ClusterPairReconciler
from stork.controller.default_policies import ensure_default_policies
from stork.controller.events import EventRecorder
from stork.controller.migration import MigrationReconciler
from stork.controller.migrationschedule import MigrationScheduleReconciler, zone
from stork.controller.runtime import Controller, run_controllers
from stork.kube.resources import (
    ClusterPairResource,
    MigrationResource,
    NamespacedSchedulePolicyResource,
    SchedulePolicyResource,
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


def run(config: SingleConfig, options: ControllerOptions) -> None:
    """Run the controller in the foreground until SIGTERM or SIGINT."""
    with Client(config=config, field_manager=FIELD_MANAGER) as client:
        created = ensure_default_policies(client, DEFAULT_POLICIES)
    log.info("default schedule policies: %s", ", ".join(created) or "all present")
    asyncio.run(_run_async(config, options))
    log.info("stopped")


async def _run_async(config: SingleConfig, options: ControllerOptions) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    client = AsyncClient(config=config, field_manager=FIELD_MANAGER)
    source = rest_for(config)
    events = EventRecorder(client)
    destinations = DestinationClients()
    migrations = MigrationReconciler(
        client, events, source, destinations, options.admin_namespace, options.migration_concurrency
    )
    try:
        schedules = Controller(
            client,
            MigrationScheduleReconciler(
                client, events, SystemClock(), destinations, zone(options.time_zone)
            ),
        )
        schedules.watch(MigrationResource, MigrationScheduleReconciler.for_migration)
        schedules.watch(SchedulePolicyResource, schedules.every_key)
        schedules.watch(NamespacedSchedulePolicyResource, schedules.every_key)
        schedules.watch(ClusterPairResource, schedules.every_key)
        controllers = [
            Controller(client, ClusterPairReconciler(client, events, options.pair_check_interval)),
            Controller(client, migrations),
            schedules,
        ]
        log.info(
            "controller running (time zone %s); stop with SIGTERM", options.time_zone or "local"
        )
        await run_controllers(controllers, stop)
    finally:
        await destinations.close()
        await source.http.aclose()
        await client.close()
