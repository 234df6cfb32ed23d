"""Applying the controller's manifests with server-side apply, reported as kubectl does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lightkube import ApiError, Client
from lightkube.codecs import from_dict

from stork.api.constants import FIELD_MANAGER


class ManifestApplyError(RuntimeError):
    """The API server refused one of the manifests."""


@dataclass(frozen=True)
class Applied:
    """What applying one object did: ``created``, ``configured`` or ``unchanged``."""

    ref: str
    action: str


def kubectl_ref(obj: dict[str, Any]) -> str:
    """``kind.group/name`` as kubectl prints it (``kind/name`` for the core group)."""
    group = str(obj["apiVersion"]).rpartition("/")[0]
    kind = str(obj["kind"]).lower()
    return (
        f"{kind}.{group}/{obj['metadata']['name']}"
        if group
        else f"{kind}/{obj['metadata']['name']}"
    )


def apply_manifests(client: Client, manifests: list[dict[str, Any]]) -> list[Applied]:
    """Apply every manifest in order (one field manager); unchanged objects are not written."""
    results = []
    for manifest in manifests:
        obj: Any = from_dict(manifest)
        meta = manifest["metadata"]
        ref = kubectl_ref(manifest)
        try:
            before = client.get(type(obj), meta["name"], namespace=meta.get("namespace"))
            old = before.metadata.resourceVersion if before.metadata else None
        except ApiError as e:
            if e.status.code != 404:
                raise
            old = None
        try:
            after = client.apply(obj, field_manager=FIELD_MANAGER, force=True)
        except ApiError as e:
            raise ManifestApplyError(f"{ref} was refused: {e.status.message}") from e
        new = after.metadata.resourceVersion if after.metadata else None
        action = "created" if old is None else "unchanged" if new == old else "configured"
        results.append(Applied(ref, action))
    return results
