"""Creating an object so that a flaky API server does not turn a success into an error.

The transport (``stork.kube.transport``) retries what is safe to send twice: 429 for any
method, 5xx and lost answers only for idempotent ones. A create (POST) that got a 5xx or lost
its answer may or may not have been carried out, so storkctl sends it again here, with the same
capped back-off and deadline, and a 409 AlreadyExists after such a failure counts as success
when the object there is the one this command created (made by our field manager since the
first try).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import httpx2
from lightkube import ApiError, Client

from stork.api.constants import FIELD_MANAGER
from stork.api.timestamps import parse_time
from stork.kube.config import retry_policy
from stork.kube.errors import Disposition, error_disposition

#: Clock skew allowed between this machine and the API server when recognising our object.
_SKEW = dt.timedelta(seconds=5)


def _worth_resending(error: BaseException) -> bool:
    """Retryable for an idempotent request, which the transport did not retry for a POST."""
    return (
        error_disposition(error, "GET") is Disposition.RETRY
        and error_disposition(error, "POST") is not Disposition.RETRY
    )


def _is_ours(client: Client, obj: Any, since: dt.datetime) -> bool:
    """The object of ``obj``'s kind and name exists, created by our field manager since then."""
    try:
        existing = client.get(type(obj), obj.metadata.name, namespace=obj.metadata.namespace)
    except ApiError:
        return False
    found = existing.metadata
    created = found.creationTimestamp if found is not None else None
    if isinstance(created, str):
        created = parse_time(created)
    managers = {m.manager for m in (found.managedFields or [])} if found is not None else set()
    return (
        isinstance(created, dt.datetime) and created >= since - _SKEW and FIELD_MANAGER in managers
    )


def create_object(
    client: Client,
    obj: Any,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """``client.create(obj)``, sent again after a 5xx or a lost answer (bounded)."""
    policy = retry_policy()
    started, since = clock(), dt.datetime.now(dt.UTC)
    attempt, failed = 0, False
    while True:
        attempt += 1
        try:
            return client.create(obj)
        except (ApiError, httpx2.TransportError) as e:
            if isinstance(e, ApiError) and e.status.code == 409 and failed:
                if _is_ours(client, obj, since):
                    return None
                raise
            if not _worth_resending(e):
                raise
            failed = True
            delay = policy.backoff.delay(attempt)
            if clock() + delay - started > policy.deadline:
                raise
        sleep(delay)
