"""A watch whose connection goes silent is noticed, readiness says so, and it recovers.

The informer talks to the source's apiserver through the fault relay; objects are created
directly (admin client, no relay), so the only broken path is the informer's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap

from stork.kube.config import load_config
from stork.kube.stack import cluster_client
from stork.runtime.health import HttpServer, check_handler
from stork.runtime.informer import InformerFactory
from tests.integration.conftest import Clusters
from tests.relay import Relay

WATCH_TIMEOUT = 2.0
INACTIVITY = 4.0


async def until(condition: Callable[[], object], timeout: float, what: str) -> float:
    """Wait for ``condition``; return the seconds it took (fail after ``timeout``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def test_silent_watch_drops_readiness_relists_and_sees_new_objects(
    clusters: Clusters, relay: Relay, relay_kubeconfig: Path, namespace: str
) -> None:

    def create(name: str) -> None:
        clusters.source.create(ConfigMap(metadata=ObjectMeta(name=name, namespace=namespace)))

    async def scenario() -> tuple[float, float]:
        client = cluster_client(load_config(relay_kubeconfig))
        informers = InformerFactory(
            client.rest, watch_timeout=WATCH_TIMEOUT, inactivity_timeout=INACTIVITY
        )
        configmaps = informers.informer(ConfigMap)
        probe = HttpServer({"/readyz": check_handler(informers.synced, "synced")}, "probe")
        host, port = await probe.start("127.0.0.1", 0)
        running = asyncio.create_task(informers.run())
        ready = {"code": 0}

        async def readyz() -> int:
            async with httpx2.AsyncClient(base_url=f"http://{host}:{port}") as http:
                ready["code"] = (await http.get("/readyz")).status_code
            return ready["code"]

        try:
            await until(configmaps.synced.is_set, 30, "the first sync")
            assert await readyz() == 200
            create("before")
            await until(lambda: configmaps.get((namespace, "before")), 10, "a normal event")
            # A quiet, healthy watch is closed by the server on time and watched again, never
            # taken for a dead one (time passing is the point here, not a synchronisation).
            await asyncio.sleep(3 * WATCH_TIMEOUT)
            assert configmaps.lists == 1
            assert configmaps.synced.is_set()
            relay.silent()
            create("during")  # its event never arrives: the path is dead
            noticed = await until(
                lambda: not configmaps.synced.is_set(), INACTIVITY + 10, "readiness to drop"
            )
            assert await readyz() == 503
            relay.passthrough()
            create("after")
            recovered = await until(
                lambda: configmaps.get((namespace, "after")) is not None,
                3 * INACTIVITY + 10,
                "the object created after the relay passed again",
            )
            assert configmaps.get((namespace, "during")) is not None  # the relist found it
            assert configmaps.lists >= 2
            await until(configmaps.synced.is_set, 10, "synced again")
            assert await readyz() == 200
            return noticed, recovered
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await probe.close()
            await client.aclose()

    noticed, recovered = asyncio.run(scenario())
    print(f"silence noticed after {noticed:.1f}s; new object seen {recovered:.1f}s after pass")
    assert noticed <= INACTIVITY + 2
