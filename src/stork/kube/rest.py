"""Plain REST access for the migration engine: paths, paged LISTs, apply, delete.

The engine handles objects of every kind as dicts, so it talks to the API with httpx2 and the
cluster's credentials directly, on the cluster's one client (``kube.stack``): its transport
rate-limits, retries what is worth retrying and counts requests, for this and every client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
import orjson
from lightkube.core.resource import NamespacedResource, api_info

from stork.api.constants import FIELD_MANAGER
from stork.kube.discovery import ResourceType
from stork.runtime.gcpause import paused_gc

_PAGE = 500


class RestError(Exception):
    """The API answered with an error status."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def collection_path(t: ResourceType, namespace: str | None) -> str:
    """The URL path of a collection (namespaced when ``namespace`` is given)."""
    base = f"/apis/{t.group}/{t.version}" if t.group else f"/api/{t.version}"
    if t.namespaced and namespace:
        return f"{base}/namespaces/{namespace}/{t.plural}"
    return f"{base}/{t.plural}"


def object_path(t: ResourceType, namespace: str | None, name: str) -> str:
    """The URL path of one object."""
    return f"{collection_path(t, namespace)}/{name}"


def resource_type(resource: Any) -> ResourceType:
    """The ResourceType of a lightkube resource class (e.g. ``lightkube.resources.core_v1.Pod``)."""
    info = api_info(resource)
    namespaced = isinstance(resource, type) and issubclass(resource, NamespacedResource)
    kind = info.resource
    return ResourceType(kind.group, kind.version, kind.kind, info.plural, namespaced)


@dataclass(frozen=True)
class Rest:
    """Requests to one cluster, with objects as dicts (build it with ``kube.stack``)."""

    http: httpx2.AsyncClient

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: httpx2.Timeout | None = None,
    ) -> httpx2.Response:
        """Send one request; raises RestError when the (last) answer is an error."""
        content = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type} if body is not None else {}
        resp = await self.http.request(
            method,
            path,
            params=params,
            content=content,
            headers=headers,
            timeout=httpx2.USE_CLIENT_DEFAULT if timeout is None else timeout,
        )
        if resp.status_code >= 400:
            raise _error(resp)
        return resp

    @contextlib.asynccontextmanager
    async def stream(
        self, path: str, *, params: dict[str, str], timeout: httpx2.Timeout
    ) -> AsyncIterator[httpx2.Response]:
        """A GET whose body is read as it arrives (a watch); raises RestError on errors."""
        async with self.http.stream("GET", path, params=params, timeout=timeout) as resp:
            if resp.status_code >= 400:
                await resp.aread()
                raise _error(resp)
            yield resp

    async def list(
        self, t: ResourceType, namespace: str | None, label_selector: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every object of a type (in a namespace), page by page, with apiVersion and kind set."""
        params = {"limit": str(_PAGE)}
        if label_selector:
            params["labelSelector"] = label_selector
        while True:
            resp = await self.request("GET", collection_path(t, namespace), params=params)
            data = decode_page(resp.content)
            for item in data.get("items") or []:
                item["apiVersion"], item["kind"] = t.api_version, t.kind
                yield item
            token = (data.get("metadata") or {}).get("continue")
            if not token:
                return
            params["continue"] = token

    async def apply(
        self, t: ResourceType, obj: dict[str, Any], dry_run: bool = False
    ) -> dict[str, Any]:
        """Server-side apply of ``obj`` with our field manager, taking ownership of conflicts.

        ``dry_run``: the API server validates, admits and merges it (``dryRun=All``) and
        answers with the object as it would be, but stores nothing."""
        meta = obj["metadata"]
        params = {"fieldManager": FIELD_MANAGER, "force": "true"}
        if dry_run:
            params["dryRun"] = "All"
        resp = await self.request(
            "PATCH",
            object_path(t, meta.get("namespace"), meta["name"]),
            params=params,
            body=obj,
            content_type="application/apply-patch+yaml",
        )
        result: dict[str, Any] = resp.json()
        return result

    async def delete(
        self, t: ResourceType, namespace: str | None, name: str, dry_run: bool = False
    ) -> None:
        """Delete one object (dependents are collected in the background); absent is fine.

        ``dry_run``: checked by the API server (``dryRun: [All]``), nothing deleted."""
        options: dict[str, Any] = {"propagationPolicy": "Background"}
        if dry_run:
            # In the body: a DELETE with a body reads its options from it, not from the query
            # (which the API server's metrics and audit read: there too).
            options["dryRun"] = ["All"]
        try:
            await self.request(
                "DELETE",
                object_path(t, namespace, name),
                params={"dryRun": "All"} if dry_run else None,
                body=options,
            )
        except RestError as e:
            if e.status != 404:
                raise

    async def wait_gone(
        self, t: ResourceType, namespace: str | None, name: str, timeout: float
    ) -> bool:
        """Wait until the object no longer exists; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                await self.request("GET", object_path(t, namespace, name))
            except RestError as e:
                if e.status == 404:
                    return True
                raise
            await asyncio.sleep(0.2)
        return False


def decode_page(content: bytes | str) -> Any:
    """A LIST page, decoded with orjson with the cyclic GC paused (see ``stork.runtime.gcpause``):
    decoding LISTs is most of the CPU time of a re-sync."""
    with paused_gc():
        return orjson.loads(content)


def _error(resp: httpx2.Response) -> RestError:
    try:
        status = resp.json()
        return RestError(
            resp.status_code, str(status.get("reason", "")), str(status.get("message", resp.text))
        )
    except ValueError:
        return RestError(resp.status_code, "", resp.text[:300] or f"HTTP {resp.status_code}")
