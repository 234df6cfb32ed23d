"""API discovery: every resource type of a cluster that can be listed and created."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx2

_NEEDED_VERBS = {"list", "create", "get", "delete"}


@dataclass(frozen=True, order=True)
class ResourceType:
    """One listable, creatable resource of the API (preferred version of its group)."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        """``group/version``, or ``version`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> str:
        """``Kind.group`` as kubectl writes it (``Kind`` for the core group)."""
        return f"{self.kind}.{self.group}" if self.group else self.kind


#: The core Namespace type, which every migration reads and writes.
NAMESPACES = ResourceType("", "v1", "Namespace", "namespaces", False)


def _types(doc: dict[str, Any], group: str, version: str) -> list[ResourceType]:
    out = []
    for r in doc.get("resources") or []:
        name = str(r.get("name", ""))
        if "/" in name or not set(r.get("verbs") or []) >= _NEEDED_VERBS:
            continue
        out.append(ResourceType(group, version, str(r["kind"]), name, bool(r.get("namespaced"))))
    return out


_METADATA_ONLY = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"


_AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
)


def _aggregated_types(doc: dict[str, Any]) -> list[ResourceType]:
    """The types of an APIGroupDiscoveryList: each group's first (preferred) version that is
    not stale (a stale one is an aggregated API that does not answer)."""
    out = []
    for item in doc.get("items") or []:
        group = str((item.get("metadata") or {}).get("name") or "")
        versions = [v for v in item.get("versions") or [] if v.get("freshness") != "Stale"]
        if not versions:
            continue
        version = versions[0]
        for r in version.get("resources") or []:
            if not set(r.get("verbs") or []) >= _NEEDED_VERBS:
                continue
            kind = str((r.get("responseKind") or {}).get("kind") or "")
            name = str(r.get("resource") or "")
            if kind and name:
                scope = r.get("scope") == "Namespaced"
                out.append(ResourceType(group, str(version["version"]), kind, name, scope))
    return out


async def discover(http: httpx2.AsyncClient) -> list[ResourceType]:
    """Preferred versions of every group; resources with list, create, get and delete.

    Two requests with aggregated discovery (Kubernetes 1.30 and later); else one per group.
    """
    core, groups = await asyncio.gather(
        http.get("/api", headers={"Accept": _AGGREGATED}),
        http.get("/apis", headers={"Accept": _AGGREGATED}),
    )
    core.raise_for_status()
    groups.raise_for_status()
    if all("as=APIGroupDiscoveryList" in r.headers.get("content-type", "") for r in (core, groups)):
        return _aggregated_types(core.json()) + _aggregated_types(groups.json())
    return await _discover_per_group(http)


async def _discover_per_group(http: httpx2.AsyncClient) -> list[ResourceType]:
    core = await http.get("/api/v1")
    core.raise_for_status()
    types = _types(core.json(), "", "v1")
    groups = await http.get("/apis")
    groups.raise_for_status()
    wanted = [
        (str(g["name"]), str(g["preferredVersion"]["version"]))
        for g in groups.json().get("groups") or []
        if (g.get("preferredVersion") or {}).get("version")
    ]

    async def group_types(name: str, version: str) -> list[ResourceType]:
        resp = await http.get(f"/apis/{name}/{version}")
        if resp.status_code in (403, 404, 503):  # an unavailable aggregated API: skip it
            return []
        resp.raise_for_status()
        return _types(resp.json(), name, version)

    for found in await asyncio.gather(*(group_types(n, v) for n, v in wanted)):
        types += found
    return types


async def custom_resource_groups(http: httpx2.AsyncClient) -> set[str]:
    """Groups served by CustomResourceDefinitions."""
    # Names only (a CRD is named <plural>.<group>): full CRDs carry their whole schemas.
    resp = await http.get(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        headers={"Accept": _METADATA_ONLY},
    )
    resp.raise_for_status()
    names = [str((item.get("metadata") or {}).get("name", "")) for item in resp.json()["items"]]
    return {name.partition(".")[2] for name in names if "." in name}
