"""Admission webhooks that would block the standby are parked there (pure).

A migrated Validating/MutatingWebhookConfiguration whose webhook calls a Service in a migrated
namespace (that is why it was migrated) would, with ``failurePolicy: Fail``, refuse every write
it matches on the destination as long as nothing serves that Service there: with
startApplications false its backend is scaled to 0, and the next migrations' own writes would
be refused. So, with startApplications false, each such webhook whose Service has no ready
endpoint on the destination (``live_services``, looked up before the migration) gets
``failurePolicy: Ignore``, recorded with its service namespace (see ``parking``); activating
that namespace restores the original policy.

Webhooks with a ``url``, or calling a Service of another namespace or one that is served on the
destination, are left as they are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from stork.migration.transform._objects import Obj, get_in, group_kind
from stork.migration.transform.parking import Change, carried_original, park, started

WEBHOOK_KINDS = frozenset(
    {
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    }
)
PARKED_POLICY = "Ignore"


def webhook_service(webhook: Any) -> tuple[str, str] | None:
    """(namespace, name) of the Service a webhook calls, if it calls one."""
    service = get_in(webhook, "clientConfig", "service")
    if not isinstance(service, Mapping):
        return None
    namespace, name = service.get("namespace"), service.get("name")
    if not isinstance(namespace, str) or not isinstance(name, str):
        return None
    return namespace, name


def park_webhooks(
    obj: Mapping[str, Any],
    namespaces: Collection[str],
    live_services: Collection[tuple[str, str]],
    start_applications: bool,
) -> Obj:
    """A webhook configuration with its webhooks that have no backend parked, recorded (other
    objects: a plain copy)."""
    if group_kind(obj) not in WEBHOOK_KINDS:
        return dict(obj)
    if start_applications:
        return started(obj)
    webhooks = obj.get("webhooks")
    changes = []
    for i, webhook in enumerate(webhooks if isinstance(webhooks, list) else []):
        service = webhook_service(webhook)
        if service is None or service[0] not in namespaces or service in live_services:
            continue
        path = ("webhooks", i, "failurePolicy")
        original = carried_original(obj, path)
        if original == PARKED_POLICY:
            continue  # it does not block: nothing to park
        changes.append(Change(path, PARKED_POLICY, original, namespace=service[0]))
    # A parked copy's webhooks that need no parking any more get their originals back.
    return park(started(obj), changes)
