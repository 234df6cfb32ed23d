"""Kubernetes Events about our objects, aggregated like client-go's recorder.

A repeat of the same (object, type, reason, message) bumps ``count`` and ``lastTimestamp`` of the
existing Event instead of creating another, so a condition that persists does not flood the
namespace. Messages must never contain credentials: callers pass sanitised text.

Messages are cut to ``MESSAGE_LIMIT`` bytes. The apiserver's validation (pkg/apis/core/
validation/events.go) holds an Event with ``eventTime`` to 1024 bytes (``NoteLengthLimit``)
and one in the older form, like ours, to nothing but the size of a request (measured on
v1.37: 100 kB is accepted, 1.6 MB fails in etcd with a 500, 3.2 MB is a 413); 1024 keeps every
Event valid in either form and readable in ``kubectl describe``.

Recording is advisory: an Event that cannot be written (refused, or the connection failed) is
logged, never raised into the reconcile that reported it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import OrderedDict
from typing import Any

import httpx2
from lightkube import ApiError, AsyncClient
from lightkube.models.core_v1 import EventSource, ObjectReference
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Event
from lightkube.types import PatchType

from stork.api.timestamps import format_time

COMPONENT = "stork"
NORMAL = "Normal"
WARNING = "Warning"
_REMEMBERED = 4096
#: The longest message an Event may carry, in bytes of UTF-8 (the apiserver's NoteLengthLimit).
MESSAGE_LIMIT = 1024
_CUT = " ..."


def truncate_message(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """``message`` cut to ``limit`` bytes of UTF-8 (never inside a character), marked ``...``."""
    data = message.encode()
    if len(data) <= limit:
        return message
    return data[: limit - len(_CUT)].decode(errors="ignore") + _CUT


log = logging.getLogger(__name__)


class EventRecorder:
    """Posts Events for objects of this cluster."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client
        self._seen: OrderedDict[tuple[str, ...], tuple[str, int]] = OrderedDict()

    async def record(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        """Record an event about ``obj``; failures are logged, not raised (events are advisory)."""
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        message = truncate_message(message)
        key = (str(meta.get("uid")), type_, reason, message)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        try:
            seen = self._seen.get(key)
            if seen is not None:
                name, count = seen
                try:
                    await self._client.patch(
                        Event,
                        name,
                        {
                            "count": count + 1,
                            "lastTimestamp": format_time(now),
                        },
                        namespace=namespace,
                        patch_type=PatchType.MERGE,
                    )
                    self._remember(key, name, count + 1)
                    return
                except ApiError as e:
                    if e.status.code != 404:
                        raise
            name = f"{meta.get('name')}.{uuid.uuid4().hex[:16]}"
            event = Event(
                metadata=ObjectMeta(name=name, namespace=namespace),
                involvedObject=ObjectReference(
                    apiVersion=obj.get("apiVersion"),
                    kind=obj.get("kind"),
                    name=meta.get("name"),
                    namespace=meta.get("namespace"),
                    uid=meta.get("uid"),
                    resourceVersion=meta.get("resourceVersion"),
                ),
                type=type_,
                reason=reason,
                message=message,
                source=EventSource(component=COMPONENT),
                count=1,
                firstTimestamp=now,
                lastTimestamp=now,
                reportingComponent=COMPONENT,
            )
            await self._client.create(event)
            self._remember(key, name, 1)
        except ApiError as e:
            log.warning(
                "could not record event %s on %s: %s", reason, meta.get("name"), e.status.message
            )
        except (httpx2.HTTPError, OSError) as e:  # the connection failed or timed out
            log.warning(
                "could not record event %s on %s: %s: %s",
                reason,
                meta.get("name"),
                type(e).__name__,
                e,
            )

    def _remember(self, key: tuple[str, ...], name: str, count: int) -> None:
        self._seen[key] = (name, count)
        self._seen.move_to_end(key)
        while len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
