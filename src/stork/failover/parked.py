"""Activation of what a migration parked (``transform.parking``): Jobs, DaemonSets, operators'
custom resources and admission webhooks get their recorded originals back; deactivation parks
them again. Every change is a whole-object update at the version read (a concurrent change
makes it fail, and it is reported, never overwritten)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Any

import httpx2
from lightkube import ApiError, Client
from lightkube.config import client_adapter
from lightkube.config.client_adapter import ConnectionParams
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.admissionregistration_v1 import (
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
)
from lightkube.resources.apps_v1 import DaemonSet
from lightkube.resources.batch_v1 import Job

from stork.api.constants import GROUP
from stork.kube.discovery import ResourceType, custom_resource_groups, discover
from stork.migration.transform._objects import path_text
from stork.migration.transform.parking import records, repark, restore
from stork.migration.transform.pipeline import MIGRATION_NAMESPACE_ANNOTATION

Say = Callable[[str], None]
#: Built-in kinds a migration parks, and how activation names them in its messages.
BUILTIN_KINDS: tuple[tuple[Any, str], ...] = ((Job, "job"), (DaemonSet, "daemonset"))
WEBHOOK_KINDS: tuple[tuple[Any, str], ...] = (
    (ValidatingWebhookConfiguration, "validatingwebhookconfiguration"),
    (MutatingWebhookConfiguration, "mutatingwebhookconfiguration"),
)


def _as_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def custom_resource_kinds(client: Client) -> list[Any]:
    """lightkube resources of every namespaced custom resource kind the cluster serves
    (Stork's own aside): a parked operator resource may be of any of them, registered on the
    source or not. For synchronous callers (it runs its own event loop for discovery)."""

    async def lookup() -> list[ResourceType]:
        async with client_adapter.AsyncClient(
            client.config, ConnectionParams(timeout=httpx2.Timeout(30.0))
        ) as http:
            groups = await custom_resource_groups(http)
            return [t for t in await discover(http) if t.group in groups and t.namespaced]

    found = asyncio.run(lookup())
    return [
        create_namespaced_resource(t.group, t.version, t.kind, t.plural)
        for t in sorted(found)
        if t.group != GROUP
    ]


def _update(
    client: Client,
    resource: Any,
    obj: dict[str, Any],
    activate: bool,
    scope: Collection[str] | None,
) -> str:
    """Write the object with its records applied; return what changed ("" for nothing)."""
    changed = restore(obj, scope) if activate else repark(obj, scope)
    if changed == obj:
        return ""
    client.replace(resource.from_dict(changed))
    paths = sorted(
        {
            path_text(e.path)
            for e in records(obj)
            if scope is None or e.namespace is None or e.namespace in scope
        }
    )
    return f"{'Restored' if activate else 'Parked'} {', '.join(paths)} of "


def _apply(
    client: Client,
    resource: Any,
    obj: dict[str, Any],
    activate: bool,
    scope: Collection[str] | None,
    what: str,
    say: Say,
    warn: Say,
) -> None:
    """Update one object, saying what changed (or why it could not)."""
    try:
        done = _update(client, resource, obj, activate, scope)
    except ApiError as e:
        warn(f"Error updating {what}: {e.status.message}")
        return
    if done:
        say(done + what)


def apply_records(
    client: Client,
    namespace: str,
    resources: list[tuple[Any, str]],
    activate: bool,
    say: Say,
    warn: Say,
) -> str | None:
    """Restore (or park again) the recorded fields of every parked object of ``resources`` in
    ``namespace``; return the ``migrationNamespace`` of one of them (the schedule's), if any."""
    schedule_ns: str | None = None
    for resource, label in resources:
        try:
            listed = [_as_dict(o) for o in client.list(resource, namespace=namespace)]
        except ApiError as e:
            if e.status.code in (403, 404, 405):
                continue  # a kind that cannot be listed here holds nothing we parked
            raise
        for obj in listed:
            if not records(obj):
                continue
            meta = obj.get("metadata") or {}
            schedule_ns = schedule_ns or (meta.get("annotations") or {}).get(
                MIGRATION_NAMESPACE_ANNOTATION
            )
            _apply(
                client,
                resource,
                obj,
                activate,
                None,
                f"{label} {namespace}/{meta.get('name')}",
                say,
                warn,
            )
    return schedule_ns


def apply_webhook_records(
    client: Client, namespaces: Collection[str], activate: bool, say: Say, warn: Say
) -> None:
    """Restore (or park again) the webhooks whose service is in one of ``namespaces``."""
    for resource, label in WEBHOOK_KINDS:
        for obj in (_as_dict(o) for o in client.list(resource)):
            if not any(e.namespace in namespaces for e in records(obj)):
                continue
            what = f"{label} {(obj.get('metadata') or {}).get('name')}"
            _apply(client, resource, obj, activate, namespaces, what, say, warn)
