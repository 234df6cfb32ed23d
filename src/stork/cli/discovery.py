"""Resource types named by the user, resolved with the cluster's discovery as Stork does."""

from __future__ import annotations

from typing import Any

from stork.cli.command import Invocation
from stork.cli.errors import UserError
from stork.kube.config import http_client_for_config


def _preferred_resources(inv: Invocation) -> list[dict[str, Any]]:
    """client-go's ``ServerPreferredResources``: core v1, then each group's preferred version."""
    with http_client_for_config(inv.cluster_config()) as http:
        core = http.get("/api/v1")
        core.raise_for_status()
        resources: list[dict[str, Any]] = list(core.json().get("resources") or [])
        groups = http.get("/apis")
        groups.raise_for_status()
        for group in groups.json().get("groups") or []:
            preferred = (group.get("preferredVersion") or {}).get("groupVersion")
            if not preferred:
                continue
            listed = http.get(f"/apis/{preferred}")
            if listed.status_code == 404:  # a group going away meanwhile
                continue
            listed.raise_for_status()
            resources.extend(listed.json().get("resources") or [])
    return [r for r in resources if "/" not in str(r.get("name", ""))]


def _matches(word: str, resource: dict[str, Any]) -> bool:
    """Stork's ``isValidResourceType``: plural, Kind, singular name or a short name."""
    word = word.lower()
    names = (resource.get("name"), resource.get("kind"), resource.get("singularName"))
    return word in {str(n).lower() for n in names if n} or word in (
        resource.get("shortNames") or []
    )


def resource_kinds(inv: Invocation, words: list[str]) -> list[str]:
    """The Kind of every resource type in ``words`` (Stork's ``getResourceTypes``)."""
    try:
        resources = _preferred_resources(inv)
    except Exception as e:
        raise UserError(f"error getting API resources: {e}") from e
    kinds = []
    for word in ",".join(words).split(","):
        match = next((r for r in resources if _matches(word, r)), None)
        if match is None:
            raise UserError(f"error getting k8s resource type for input resourcetype: {word}")
        kinds.append(str(match["kind"]))
    return kinds
