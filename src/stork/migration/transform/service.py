"""Services: addresses allocated by the source cluster do not travel."""

from __future__ import annotations

from typing import Any

SKIP_MODIFY_ANNOTATION = "stork.libopenstorage.org/skip-modify-resource"


def clear_service_addresses(obj: dict[str, Any], skip_service_update: bool) -> dict[str, Any]:
    """Clear clusterIP(s) (not headless), loadBalancerIP, healthCheckNodePort; keep nodePorts."""
    if obj.get("kind") != "Service" or skip_service_update:
        return obj
    if SKIP_MODIFY_ANNOTATION in ((obj.get("metadata") or {}).get("annotations") or {}):
        return obj
    spec = dict(obj.get("spec") or {})
    if spec.get("clusterIP") == "None":
        spec["clusterIPs"] = ["None"]
    else:
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    spec.pop("loadBalancerIP", None)
    spec.pop("healthCheckNodePort", None)
    return {**obj, "spec": spec}
