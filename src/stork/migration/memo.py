"""What a source object hashed to when last transformed, so that a re-sync can skip the work.

The transformed form of an object is a pure function of the object and the migration's
transform context; the object's ``(uid, resourceVersion)`` names its content exactly. So when a
source object still has the ``resourceVersion`` it had at the last migration (same context) and
the destination still carries the hash that transform gave, the object is unchanged and neither
transform nor hash needs to run again. Held by the controller process, bounded (LRU).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MemoKey = tuple[str, str, str]
"""(uid, resourceVersion, context fingerprint)."""

DEFAULT_LIMIT = 200_000


def memo_key(obj: Mapping[str, Any], context: str) -> MemoKey | None:
    """The key of a source object under ``context`` (None when it lacks uid or version)."""
    meta = obj.get("metadata") or {}
    uid, version = meta.get("uid"), meta.get("resourceVersion")
    if not uid or not version:
        return None
    return (str(uid), str(version), context)


@dataclass
class TransformMemo:
    """Content hashes by :data:`MemoKey`, the least recently used dropped past ``limit``."""

    limit: int = DEFAULT_LIMIT
    _hashes: OrderedDict[MemoKey, str] = field(default_factory=OrderedDict)

    def get(self, key: MemoKey | None) -> str | None:
        """The hash recorded for ``key``, if any (marks it recently used)."""
        if key is None:
            return None
        value = self._hashes.get(key)
        if value is not None:
            self._hashes.move_to_end(key)
        return value

    def put(self, key: MemoKey | None, content_hash: str) -> None:
        """Record ``content_hash`` for ``key``."""
        if key is None:
            return
        self._hashes[key] = content_hash
        self._hashes.move_to_end(key)
        while len(self._hashes) > self.limit:
            self._hashes.popitem(last=False)

    def __len__(self) -> int:
        return len(self._hashes)
