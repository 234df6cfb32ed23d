"""Rancher project mapping (source project ID -> destination project ID).

Keys naming a project (``...cattle.io/projectId``, Rancher's real key, or the documentation's
``...cattle.io/projectID``) have their value mapped. In labels and annotations this is Stork's
"map-or-drop": an unmapped project value is dropped (the source project does not exist on the
destination), and every other ``cattle.io`` key is dropped too (Rancher's bookkeeping of the
source cluster). In namespace selectors it is "map-or-keep": only mapped values change.
Beyond Stork, pod affinity and anti-affinity ``namespaceSelector``s of Pods and of every
workload's pod template are mapped as the documentation promises.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

CATTLE = "cattle.io"
PROJECT_KEYS = ("cattle.io/projectId", "cattle.io/projectID")


def is_project_key(key: str) -> bool:
    """True for a key that holds a Rancher project ID."""
    return any(p in key for p in PROJECT_KEYS)


def map_or_drop(values: Mapping[str, str] | None, mapping: Mapping[str, str]) -> dict[str, str]:
    """Labels and annotations: project values mapped or dropped; other cattle.io keys dropped."""
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        if CATTLE not in key:
            out[key] = value
        elif is_project_key(key) and mapping.get(value):
            out[key] = mapping[value]
    return out


def _map_selector(selector: dict[str, Any] | None, mapping: Mapping[str, str]) -> None:
    if not isinstance(selector, dict):
        return
    labels = selector.get("matchLabels")
    if isinstance(labels, dict):
        for key, value in labels.items():
            if is_project_key(key) and value in mapping:
                labels[key] = mapping[value]
    for expression in selector.get("matchExpressions") or []:
        if is_project_key(str(expression.get("key", ""))) and expression.get("values"):
            expression["values"] = [mapping.get(v, v) for v in expression["values"]]


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get(
            "spec"
        )
    return (spec.get("template") or {}).get("spec")


def map_projects(obj: dict[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``obj`` with Rancher project IDs mapped everywhere they appear."""
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    for field in ("labels", "annotations"):
        if field in meta:
            meta[field] = map_or_drop(meta[field], mapping)
            if not meta[field]:
                del meta[field]
    if not mapping:
        return out
    if out.get("kind") == "NetworkPolicy":
        spec = out.get("spec") or {}
        for rule in spec.get("ingress") or []:
            for peer in rule.get("from") or []:
                _map_selector(peer.get("namespaceSelector"), mapping)
        for rule in spec.get("egress") or []:
            for peer in rule.get("to") or []:
                _map_selector(peer.get("namespaceSelector"), mapping)
    pod = _pod_spec(out)
    affinity = (pod or {}).get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        block = affinity.get(kind) or {}
        for term in block.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
            _map_selector(term.get("namespaceSelector"), mapping)
        for weighted in block.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            _map_selector((weighted.get("podAffinityTerm") or {}).get("namespaceSelector"), mapping)
    return out
