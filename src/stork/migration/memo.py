"""What the controller remembers of each migrated object between two migrations (bounded, LRU).

Per source object (by uid, per destination):

- **the transform's hash.** The transformed form of an object is a pure function of the object
  and the migration's transform context, and ``(uid, resourceVersion)`` names the object's
  content exactly. So when a source object still has the ``resourceVersion`` it had at the last
  migration (same context) and the destination still carries the hash that transform gave,
  the object is unchanged and neither transform nor hash needs to run again.
- **the destination copy's version** after our last write, or when we last found it in step
  (see ``plan.destination_version``). A destination copy whose version moved since, while its
  hash annotation still matches, was edited there by someone else: it has *drifted*, and is
  applied again.

Held by the controller process (a restart forgets it: the first migration after one only
compares hashes, and notes the versions for the next).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MemoKey = tuple[str, str]
"""(destination, source uid)."""

DEFAULT_LIMIT = 200_000


@dataclass(slots=True)
class Memory:
    """What is remembered of one source object."""

    #: The source's resourceVersion and the transform context the hash was made with.
    version: str
    context: str
    hash: str
    #: The destination copy's version when it was last known to be in step (None: unknown).
    destination: str | None = None

    def fresh(self, obj: Mapping[str, Any], context: str) -> bool:
        """Whether ``hash`` is still the transform of ``obj`` under ``context``."""
        return self.context == context and self.version == source_version(obj)


def source_version(obj: Mapping[str, Any]) -> str | None:
    """The resourceVersion of a source object (None when it has none)."""
    version = (obj.get("metadata") or {}).get("resourceVersion")
    return str(version) if version else None


def memo_key(obj: Mapping[str, Any], destination: str) -> MemoKey | None:
    """The key of a source object migrated to ``destination`` (None without uid or version)."""
    meta = obj.get("metadata") or {}
    uid = meta.get("uid")
    if not uid or not meta.get("resourceVersion"):
        return None
    return (destination, str(uid))


@dataclass
class TransformMemo:
    """:class:`Memory` by :data:`MemoKey`, the least recently used dropped past ``limit``."""

    limit: int = DEFAULT_LIMIT
    _items: OrderedDict[MemoKey, Memory] = field(default_factory=OrderedDict)

    def get(self, key: MemoKey | None) -> Memory | None:
        """What is remembered for ``key``, if anything (marks it recently used)."""
        if key is None:
            return None
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: MemoKey | None, memory: Memory) -> None:
        """Remember ``memory`` for ``key`` (replacing what was remembered)."""
        if key is None:
            return
        self._items[key] = memory
        self._items.move_to_end(key)
        while len(self._items) > self.limit:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
