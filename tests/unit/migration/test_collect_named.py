"""Objects known by name read one by one, and names that are not object names never sent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2

from stork.kube.discovery import NAMESPACES
from stork.kube.rest import Rest
from stork.migration.collect import get_named


class Namespaces(httpx2.AsyncBaseTransport):
    """Stands in for the network: namespaces "a" and "b" exist; records every path asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        self.paths.append(path)
        name = path.rsplit("/", 1)[-1]
        if path == f"/api/v1/namespaces/{name}" and name in ("a", "b"):
            body: dict[str, Any] = {"kind": "Namespace", "metadata": {"name": name}}
            return httpx2.Response(200, stream=httpx2.ByteStream(json.dumps(body).encode()))
        status = {"kind": "Status", "code": 404, "message": "not found"}
        return httpx2.Response(404, stream=httpx2.ByteStream(json.dumps(status).encode()))


def names_of(found: list[dict[str, Any]]) -> list[str]:
    return [o["metadata"]["name"] for o in found]


def test_existing_names_are_read_missing_ones_absent_and_bad_ones_never_sent() -> None:
    network = Namespaces()

    async def go() -> list[dict[str, Any]]:
        async with httpx2.AsyncClient(transport=network, base_url="http://127.0.0.1:1") as c:
            return await get_named(
                Rest(c),
                NAMESPACES,
                ["b", "gone", "kube-system/secrets/token", "a", "..", "B", "b"],
                dict,
            )

    assert names_of(asyncio.run(go())) == ["b", "a"]
    # Each valid name once; a path, a dot-dot and an upper-case name are not object names.
    assert sorted(network.paths) == [
        "/api/v1/namespaces/a",
        "/api/v1/namespaces/b",
        "/api/v1/namespaces/gone",
    ]
