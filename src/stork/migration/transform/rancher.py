"""Rancher project mapping: source project IDs become destination project IDs.

The mapping is the ClusterPair's ``platformOptions.rancher.projectMappings`` (source value ->
destination value; values match exactly, so ``p-xxxxx`` label values and ``c-xxxxx:p-xxxxx``
annotation values are mapped separately). A key names a project when it contains
``cattle.io/projectId`` (Rancher's real key, ``field.cattle.io/projectId``, the only spelling
Stork matches) or ``cattle.io/projectID`` (the spelling of the Portworx documentation).

Labels and annotations of every object follow Stork's "map-or-drop", even with no mappings:

- keys without ``cattle.io`` are kept;
- a project key whose value maps to a non-empty destination ID gets that ID; an unmapped
  project key is dropped: its project does not exist on the destination, and a dangling ID
  would put the object in no project, or in an unrelated one that happens to share the ID;
- every other ``cattle.io`` key is dropped: it is the source Rancher's bookkeeping, and some of
  it misleads the destination's Rancher (``lifecycle.cattle.io/create.*`` tells it that its own
  set-up of the object already ran; ``cattle.io/status`` carries the source's conditions).

Namespace selectors follow Stork's "map-or-keep": mapped project values change, everything else
(unmapped values, other keys) is kept, since a selector is the user's intent. They are mapped in
NetworkPolicy ingress and egress peers (``matchLabels`` as Stork does, and ``matchExpressions``
values of project keys, which Stork leaves alone), in pod affinity and anti-affinity terms
(required and preferred) of Pods and of the pod templates of every workload kind (Stork
documents this but never does it in migrations), and in admission webhooks.

Applying a mapping twice is a no-op only when every destination ID maps to itself: a migration
applies it once, to source objects. Pod template labels and annotations, node affinity and
every other field are left alone, as in Stork.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from stork.migration.transform._objects import (
    Obj,
    get_in,
    group_kind,
    set_in,
    string_map,
    with_metadata_map,
)

CATTLE = "cattle.io"
PROJECT_KEYS = ("cattle.io/projectId", "cattle.io/projectID")

_TEMPLATE_SPEC = ("spec", "template", "spec")
#: Where each kind keeps its pod spec.
POD_SPEC_PATHS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): ("spec",),
    ("", "PodTemplate"): ("template", "spec"),
    ("", "ReplicationController"): _TEMPLATE_SPEC,
    ("apps", "Deployment"): _TEMPLATE_SPEC,
    ("apps", "StatefulSet"): _TEMPLATE_SPEC,
    ("apps", "ReplicaSet"): _TEMPLATE_SPEC,
    ("apps", "DaemonSet"): _TEMPLATE_SPEC,
    ("extensions", "Deployment"): _TEMPLATE_SPEC,
    ("extensions", "ReplicaSet"): _TEMPLATE_SPEC,
    ("extensions", "DaemonSet"): _TEMPLATE_SPEC,
    ("apps.openshift.io", "DeploymentConfig"): _TEMPLATE_SPEC,
    ("batch", "Job"): _TEMPLATE_SPEC,
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
}
NETWORK_POLICY_KINDS = frozenset(
    {("networking.k8s.io", "NetworkPolicy"), ("extensions", "NetworkPolicy")}
)
WEBHOOK_KINDS = frozenset(
    {
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    }
)
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


def is_project_key(key: str) -> bool:
    """True for a label or annotation key that holds a Rancher project ID."""
    return any(p in key for p in PROJECT_KEYS)


def map_or_drop(values: Mapping[str, str] | None, mapping: Mapping[str, str]) -> dict[str, str]:
    """Labels or annotations: project IDs mapped, or dropped when unmapped; other cattle.io
    keys dropped; every other key kept."""
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        if CATTLE not in key:
            out[key] = value
        elif is_project_key(key) and mapping.get(value):
            out[key] = mapping[value]
    return out


def map_or_keep(values: Mapping[str, str] | None, mapping: Mapping[str, str]) -> dict[str, str]:
    """Selector labels: project IDs mapped when a mapping exists; everything else kept."""
    return {
        key: _mapped(value, mapping) if is_project_key(key) else value
        for key, value in (values or {}).items()
    }


def map_selector(selector: Mapping[str, Any], mapping: Mapping[str, str]) -> Obj:
    """A label selector with project IDs mapped (map-or-keep) in ``matchLabels`` and in the
    ``values`` of ``matchExpressions`` on project keys."""
    out = dict(selector)
    labels = selector.get("matchLabels")
    if isinstance(labels, Mapping):
        out["matchLabels"] = map_or_keep(labels, mapping)
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list):
        out["matchExpressions"] = [_map_expression(e, mapping) for e in expressions]
    return out


def map_projects(obj: Mapping[str, Any], mapping: Mapping[str, str]) -> Obj:
    """``obj`` with Rancher project IDs mapped everywhere they appear (see the module doc)."""
    out = dict(obj)
    for field in ("labels", "annotations"):
        values = get_in(obj, "metadata", field)
        if values is not None:
            out = with_metadata_map(out, field, map_or_drop(string_map(values), mapping))
    if not mapping:
        return out
    kind = group_kind(obj)
    if kind in NETWORK_POLICY_KINDS:
        out = _edited(out, ("spec",), mapping, _network_policy_spec)
    if kind in WEBHOOK_KINDS:
        out = _edited(out, ("webhooks",), mapping, _webhooks)
    path = POD_SPEC_PATHS.get(kind)
    if path is not None:
        out = _edited(out, (*path, "affinity"), mapping, _affinity)
    return out


def _mapped(value: str, mapping: Mapping[str, str]) -> str:
    return mapping.get(value) or value


def _map_expression(expression: Any, mapping: Mapping[str, str]) -> Any:
    if not isinstance(expression, Mapping) or not is_project_key(str(expression.get("key", ""))):
        return expression
    values = expression.get("values")
    if not isinstance(values, list):
        return expression
    # Two source projects may map to one destination project: keep each value once.
    mapped = list(dict.fromkeys(_mapped(v, mapping) if isinstance(v, str) else v for v in values))
    return {**expression, "values": mapped}


# The walks below edit a deep copy of one small subtree in place; _edited puts the copy into a
# copy-on-write result only when something changed.
Walk = Callable[[Any, Mapping[str, str]], None]


def _edited(obj: Obj, path: tuple[str, ...], mapping: Mapping[str, str], walk: Walk) -> Obj:
    value = get_in(obj, *path)
    if value is None:
        return obj
    new = copy.deepcopy(value)
    walk(new, mapping)
    return obj if new == value else set_in(obj, path, new)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _map_namespace_selector(holder: dict[str, Any], mapping: Mapping[str, str]) -> None:
    selector = holder.get("namespaceSelector")
    if isinstance(selector, Mapping):
        holder["namespaceSelector"] = map_selector(selector, mapping)


def _network_policy_spec(spec: Any, mapping: Mapping[str, str]) -> None:
    if not isinstance(spec, dict):
        return
    for rules, peers in (("ingress", "from"), ("egress", "to")):
        for rule in _dicts(spec.get(rules)):
            for peer in _dicts(rule.get(peers)):
                _map_namespace_selector(peer, mapping)


def _webhooks(webhooks: Any, mapping: Mapping[str, str]) -> None:
    for webhook in _dicts(webhooks):
        _map_namespace_selector(webhook, mapping)


def _affinity(affinity: Any, mapping: Mapping[str, str]) -> None:
    if not isinstance(affinity, dict):
        return
    for kind in ("podAffinity", "podAntiAffinity"):
        block = affinity.get(kind)
        if not isinstance(block, dict):
            continue
        for term in _dicts(block.get(_REQUIRED)):
            _map_namespace_selector(term, mapping)
        for weighted in _dicts(block.get(_PREFERRED)):
            weighted_term = weighted.get("podAffinityTerm")
            if isinstance(weighted_term, dict):
                _map_namespace_selector(weighted_term, mapping)
