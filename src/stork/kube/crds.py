"""Installing CustomResourceDefinitions with server-side apply, and waiting until Established."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lightkube import ApiError, Client
from lightkube.codecs import from_dict
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from stork.api.constants import FIELD_MANAGER

ESTABLISH_TIMEOUT = 60.0


class CrdInstallError(RuntimeError):
    """A CRD was refused or did not become Established in time."""


@dataclass(frozen=True)
class AppliedCrd:
    """What applying one CRD did: ``created``, ``configured`` or ``unchanged`` (kubectl's words)."""

    name: str
    action: str


def _established(crd: CustomResourceDefinition) -> bool:
    conditions = (crd.status.conditions if crd.status else None) or []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


def apply_crds(client: Client, manifests: list[dict[str, Any]]) -> list[AppliedCrd]:
    """Apply every manifest (server-side, one field manager) and wait until all are Established.

    Applying unchanged manifests writes nothing: the API server keeps the resourceVersion.
    """
    results = []
    for manifest in manifests:
        name = manifest["metadata"]["name"]
        try:
            before = client.get(CustomResourceDefinition, name=name)
            old_version = before.metadata.resourceVersion if before.metadata else None
        except ApiError as e:
            if e.status.code != 404:
                raise
            old_version = None
        obj = from_dict(manifest)
        try:
            after = client.apply(obj, field_manager=FIELD_MANAGER, force=True)
        except ApiError as e:
            raise CrdInstallError(f"CRD {name} was refused: {e.status.message}") from e
        new_version = after.metadata.resourceVersion if after.metadata else None
        if old_version is None:
            action = "created"
        elif new_version == old_version:
            action = "unchanged"
        else:
            action = "configured"
        results.append(AppliedCrd(name, action))
    deadline = time.monotonic() + ESTABLISH_TIMEOUT
    pending = [r.name for r in results]
    while pending:
        pending = [n for n in pending if not _established(client.get(CustomResourceDefinition, n))]
        if not pending:
            break
        if time.monotonic() > deadline:
            raise CrdInstallError(
                f"CRDs not Established after {ESTABLISH_TIMEOUT:.0f}s: {', '.join(pending)}"
            )
        time.sleep(0.2)
    return results
