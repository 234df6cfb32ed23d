"""Writing our objects' status (a JSON merge patch)."""

from __future__ import annotations

from typing import Any

from lightkube import AsyncClient
from lightkube.types import PatchType

from stork.runtime.informer import ObjectKey


async def merge_status(
    client: AsyncClient, target: Any, key: ObjectKey, status: dict[str, Any]
) -> None:
    """Merge ``status`` into the object's status (keys set to None are removed).

    ``target`` is where the kind's status is written: its ``Status`` subresource class, or the
    resource itself for a kind without the subresource.
    """
    await client.patch(
        target,
        key[1],
        {"status": status},
        namespace=key[0] or None,
        patch_type=PatchType.MERGE,
    )
