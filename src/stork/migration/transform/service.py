"""Services: addresses that the source cluster allocated do not travel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stork.migration.transform._objects import Obj, get_in, group_kind

#: Presence (any value) on a source Service keeps its addresses unchanged (Stork's annotation).
SKIP_MODIFY_ANNOTATION = "stork.libopenstorage.org/skip-modify-resource"
HEADLESS = "None"
#: Allocated by the source cluster (or, for loadBalancerIP, requested from the source's load
#: balancer pool); the destination allocates its own.
_CLEARED = ("loadBalancerIP", "healthCheckNodePort")


def clear_service_addresses(obj: Mapping[str, Any], skip_service_update: bool) -> Obj:
    """A Service without the addresses of the source cluster (other objects: a plain copy).

    Unless the migration sets ``skipServiceUpdate`` or the Service carries
    ``stork.libopenstorage.org/skip-modify-resource``: ``clusterIP`` and ``clusterIPs`` are
    removed, except that a headless Service keeps ``clusterIP: None`` and gets
    ``clusterIPs: ["None"]``; ``loadBalancerIP`` and ``healthCheckNodePort`` are removed (Stork
    keeps ``healthCheckNodePort``, which can clash with a port the destination already uses).
    ``nodePort``s are kept, as Stork does: whatever points at a fixed node port of the source
    (external load balancers, firewalls) must find it on the destination after a failover.
    """
    out = dict(obj)
    spec = obj.get("spec")
    if (
        group_kind(obj) != ("", "Service")
        or skip_service_update
        or not isinstance(spec, Mapping)
        or SKIP_MODIFY_ANNOTATION in (get_in(obj, "metadata", "annotations") or {})
    ):
        return out
    headless = spec.get("clusterIP") == HEADLESS
    cleared = (*_CLEARED, "clusterIPs") if headless else (*_CLEARED, "clusterIP", "clusterIPs")
    new_spec = {k: v for k, v in spec.items() if k not in cleared}
    if headless:
        new_spec["clusterIPs"] = [HEADLESS]
    out["spec"] = new_spec
    return out
