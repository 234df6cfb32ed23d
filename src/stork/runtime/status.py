"""Writing our objects' status (a JSON merge patch)."""

from __future__ import annotations

from typing import Any

from lightkube import AsyncClient
from lightkube.types import PatchType

from stork.kube.resources import status_target
from stork.runtime.informer import ObjectKey


async def merge_status(
    client: AsyncClient, resource: Any, key: ObjectKey, status: dict[str, Any]
) -> dict[str, Any]:
    """Merge ``status`` into the object's status (keys set to None are removed), where the
    kind's CRD keeps it (``kube.resources.status_target``: its status subresource, if any;
    a merge patch of the main resource would have it dropped silently there).

    Returns the object as the patch left it."""
    patched = await client.patch(
        status_target(resource),
        key[1],
        {"status": status},
        namespace=key[0] or None,
        patch_type=PatchType.MERGE,
    )
    return dict(patched)
