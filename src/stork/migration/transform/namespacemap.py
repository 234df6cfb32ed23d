"""Namespace mapping: objects of namespace ``a`` become objects of namespace ``b`` (a drill's
``<ns>-<suffix>`` copies), with every reference to a mapped namespace that this module knows
following them.

References mapped (a namespace not in the mapping is left alone everywhere):

- ``metadata.namespace``; a Namespace object's own name and its
  ``kubernetes.io/metadata.name`` label;
- RoleBinding and ClusterRoleBinding subjects: a ServiceAccount's ``namespace``, the users
  ``system:serviceaccount:<ns>:<name>`` and the groups ``system:serviceaccounts:<ns>``;
- pod affinity and anti-affinity terms (required and preferred) of Pods and of every workload's
  pod template: their ``namespaces`` lists, and ``namespaceSelector`` values of the key
  ``kubernetes.io/metadata.name`` (the label every namespace carries with its name);
- NetworkPolicy ingress and egress peers' ``namespaceSelector`` (same key), and admission
  webhooks' ``namespaceSelector`` and ``clientConfig.service.namespace``;
- a PersistentVolumeClaim's ``spec.dataSourceRef.namespace``, Endpoints' ``targetRef``
  namespaces, and an ExternalName Service's ``<service>.<ns>.svc[...]`` name.

Names hidden in free text (environment variables, config files) are not references this
module can know.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from stork.migration.transform._objects import Obj, get_in, group_kind, set_in
from stork.migration.transform.rancher import NETWORK_POLICY_KINDS, POD_SPEC_PATHS, WEBHOOK_KINDS
from stork.migration.transform.rbac import (
    SERVICE_ACCOUNT_GROUP_PREFIX,
    SERVICE_ACCOUNT_USER_PREFIX,
)

#: The label Kubernetes puts on every namespace, with its name as value.
NAME_LABEL = "kubernetes.io/metadata.name"
BINDING_KINDS = frozenset(
    {
        ("rbac.authorization.k8s.io", "RoleBinding"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    }
)
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


def _name(value: Any, mapping: Mapping[str, str]) -> Any:
    return mapping.get(value, value) if isinstance(value, str) else value


def map_subject(subject: Any, mapping: Mapping[str, str]) -> Any:
    """A binding subject with its namespace mapped (anything else unchanged)."""
    if not isinstance(subject, Mapping):
        return subject
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "ServiceAccount" and subject.get("namespace") in mapping:
        return {**subject, "namespace": mapping[subject["namespace"]]}
    if kind == "User" and isinstance(name, str) and name.startswith(SERVICE_ACCOUNT_USER_PREFIX):
        parts = name.removeprefix(SERVICE_ACCOUNT_USER_PREFIX).split(":")
        if len(parts) == 2 and parts[0] in mapping:
            return {
                **subject,
                "name": f"{SERVICE_ACCOUNT_USER_PREFIX}{mapping[parts[0]]}:{parts[1]}",
            }
    if kind == "Group" and isinstance(name, str) and name.startswith(SERVICE_ACCOUNT_GROUP_PREFIX):
        ns = name.removeprefix(SERVICE_ACCOUNT_GROUP_PREFIX)
        if ns in mapping:
            return {**subject, "name": SERVICE_ACCOUNT_GROUP_PREFIX + mapping[ns]}
    return subject


def map_selector(selector: Any, mapping: Mapping[str, str]) -> Any:
    """A namespace selector with the values of ``kubernetes.io/metadata.name`` mapped."""
    if not isinstance(selector, Mapping):
        return selector
    out = dict(selector)
    labels = selector.get("matchLabels")
    if isinstance(labels, Mapping) and NAME_LABEL in labels:
        out["matchLabels"] = {**labels, NAME_LABEL: _name(labels[NAME_LABEL], mapping)}
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list):
        out["matchExpressions"] = [
            {**e, "values": [_name(v, mapping) for v in e["values"]]}
            if isinstance(e, Mapping)
            and e.get("key") == NAME_LABEL
            and isinstance(e.get("values"), list)
            else e
            for e in expressions
        ]
    return out


def _map_term(term: dict[str, Any], mapping: Mapping[str, str]) -> None:
    if isinstance(term.get("namespaces"), list):
        term["namespaces"] = [_name(n, mapping) for n in term["namespaces"]]
    if "namespaceSelector" in term:
        term["namespaceSelector"] = map_selector(term["namespaceSelector"], mapping)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _map_affinity(affinity: dict[str, Any], mapping: Mapping[str, str]) -> None:
    for block_name in ("podAffinity", "podAntiAffinity"):
        block = affinity.get(block_name)
        if not isinstance(block, dict):
            continue
        for term in _dicts(block.get(_REQUIRED)):
            _map_term(term, mapping)
        for weighted in _dicts(block.get(_PREFERRED)):
            if isinstance(weighted.get("podAffinityTerm"), dict):
                _map_term(weighted["podAffinityTerm"], mapping)


def _map_network_policy(spec: dict[str, Any], mapping: Mapping[str, str]) -> None:
    for rules, peers in (("ingress", "from"), ("egress", "to")):
        for rule in _dicts(spec.get(rules)):
            for peer in _dicts(rule.get(peers)):
                if "namespaceSelector" in peer:
                    peer["namespaceSelector"] = map_selector(peer["namespaceSelector"], mapping)


def _map_webhooks(webhooks: list[Any], mapping: Mapping[str, str]) -> None:
    for webhook in _dicts(webhooks):
        if "namespaceSelector" in webhook:
            webhook["namespaceSelector"] = map_selector(webhook["namespaceSelector"], mapping)
        service = get_in(webhook, "clientConfig", "service")
        if isinstance(service, dict) and service.get("namespace") in mapping:
            service["namespace"] = mapping[service["namespace"]]


def _map_endpoints(subsets: list[Any], mapping: Mapping[str, str]) -> None:
    for subset in _dicts(subsets):
        for field in ("addresses", "notReadyAddresses"):
            for address in _dicts(subset.get(field)):
                ref = address.get("targetRef")
                if isinstance(ref, dict) and ref.get("namespace") in mapping:
                    ref["namespace"] = mapping[ref["namespace"]]


def map_external_name(name: str, mapping: Mapping[str, str]) -> str:
    """``<service>.<ns>.svc[.<domain>]`` with ``<ns>`` mapped (other names unchanged)."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[2] == "svc" and parts[1] in mapping:
        parts[1] = mapping[parts[1]]
    return ".".join(parts)


def _edited(obj: Obj, path: tuple[str, ...], edit: Any, mapping: Mapping[str, str]) -> Obj:
    """``obj`` with a deep copy of the subtree at ``path`` edited in place (copy-on-write)."""
    value = get_in(obj, *path)
    if value is None:
        return obj
    new = copy.deepcopy(value)
    edit(new, mapping)
    return obj if new == value else set_in(obj, path, new)


def map_namespaces(obj: Mapping[str, Any], mapping: Mapping[str, str]) -> Obj:
    """``obj`` with every namespace reference of the module docstring mapped; ``obj`` is not
    modified (the result shares what it leaves unchanged)."""
    out = dict(obj)
    if not mapping:
        return out
    kind = group_kind(obj)
    namespace = get_in(obj, "metadata", "namespace")
    if namespace in mapping:
        out = set_in(out, ("metadata", "namespace"), mapping[namespace])
    if kind == ("", "Namespace"):
        name = get_in(obj, "metadata", "name")
        if name in mapping:
            out = set_in(out, ("metadata", "name"), mapping[name])
            labels = get_in(obj, "metadata", "labels")
            if isinstance(labels, Mapping) and NAME_LABEL in labels:
                out = set_in(out, ("metadata", "labels"), {**labels, NAME_LABEL: mapping[name]})
    if kind in BINDING_KINDS and isinstance(obj.get("subjects"), list):
        out["subjects"] = [map_subject(s, mapping) for s in obj["subjects"]]
    path = POD_SPEC_PATHS.get(kind)
    if path is not None and isinstance(get_in(obj, *path, "affinity"), dict):
        out = _edited(out, (*path, "affinity"), _map_affinity, mapping)
    if kind in NETWORK_POLICY_KINDS and isinstance(obj.get("spec"), dict):
        out = _edited(out, ("spec",), _map_network_policy, mapping)
    if kind in WEBHOOK_KINDS and isinstance(obj.get("webhooks"), list):
        out = _edited(out, ("webhooks",), _map_webhooks, mapping)
    if kind == ("", "Endpoints") and isinstance(obj.get("subsets"), list):
        out = _edited(out, ("subsets",), _map_endpoints, mapping)
    if kind == ("", "PersistentVolumeClaim"):
        source_ns = get_in(obj, "spec", "dataSourceRef", "namespace")
        if source_ns in mapping:
            out = set_in(out, ("spec", "dataSourceRef", "namespace"), mapping[source_ns])
    if kind == ("", "Service"):
        external = get_in(obj, "spec", "externalName")
        if isinstance(external, str) and map_external_name(external, mapping) != external:
            out = set_in(out, ("spec", "externalName"), map_external_name(external, mapping))
    return out
