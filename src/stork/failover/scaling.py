"""Scaling down the cluster being left, and undoing it exactly (pure).

What is scaled down on the cluster being left is what will be started on the other one:

- every workload and CronJob the other cluster's activation will start, i.e. that carries a
  record there (:func:`stork.migration.transform.recorded_replicas`, ``recorded_suspend``:
  Stork's rule, ``ScaleUpResourcesInNamespace`` as a dry run), and
- every workload and CronJob here that the last-mile migration will carry over (and so give a
  record there): the schedule's filters (selectors, exclusions, skip annotations, owners)
  decide, as they decide for the migration. Stork forgets these (a workload created after the
  last scheduled migration would run on both clusters after a failover).

Each is set to 0 replicas (CronJobs: suspended) with the record annotation a migration carries
forward, so the last-mile migration brings the running count to the other side. What each had
before is kept in the Action's status (:class:`Planned`); a rollback restores exactly that,
replicas and annotation alike (Stork's rollback scales up from the records, which also starts
what someone had stopped on purpose).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stork.migration.filters import FilterContext, select_objects
from stork.migration.transform import (
    CRONJOB_SUSPEND_ANNOTATION,
    MIGRATION_REPLICAS_ANNOTATION,
    recorded_replicas,
    recorded_suspend,
)

#: Kinds scaled by replicas (what activation scales), then CronJobs.
WORKLOAD_KINDS = ("StatefulSet", "Deployment", "ReplicaSet")
CRONJOB = "CronJob"
SCALED_KINDS = (*WORKLOAD_KINDS, CRONJOB)

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class Planned:
    """One object to scale down, with what it had before (what a rollback puts back)."""

    namespace: str
    kind: str
    name: str
    #: Replicas before (workloads), else None.
    replicas: int | None = None
    #: ``spec.suspend`` before (CronJobs), else None.
    suspend: bool | None = None
    #: The record annotation's value before (None: it was absent).
    annotation: str | None = None

    def to_status(self, cluster: str) -> dict[str, Any]:
        """As an entry of the Action's ``status.scaledDown``."""
        out: dict[str, Any] = {
            "cluster": cluster,
            "namespace": self.namespace,
            "kind": self.kind,
            "name": self.name,
        }
        if self.replicas is not None:
            out["replicas"] = self.replicas
        if self.suspend is not None:
            out["suspend"] = self.suspend
        out["annotation"] = self.annotation
        return out

    @classmethod
    def from_status(cls, entry: Mapping[str, Any]) -> Planned:
        """Back from an entry of ``status.scaledDown``."""
        replicas, suspend = entry.get("replicas"), entry.get("suspend")
        annotation = entry.get("annotation")
        return cls(
            str(entry.get("namespace") or ""),
            str(entry.get("kind") or ""),
            str(entry.get("name") or ""),
            replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else None,
            suspend if isinstance(suspend, bool) else None,
            annotation if isinstance(annotation, str) else None,
        )


def _meta(obj: Obj) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _annotations(obj: Obj) -> Mapping[str, Any]:
    annotations = _meta(obj).get("annotations")
    return annotations if isinstance(annotations, Mapping) else {}


def _key(obj: Obj) -> tuple[str, str]:
    return str(obj.get("kind") or ""), str(_meta(obj).get("name") or "")


def _replicas(obj: Obj) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def _owned(obj: Obj) -> bool:
    return bool(_meta(obj).get("ownerReferences"))


def activated_here(objects: Iterable[Obj]) -> set[tuple[str, str]]:
    """(kind, name) of what activation starts among ``objects`` (those with a record;
    ReplicaSets only without owners, as activation does)."""
    out = set()
    for obj in objects:
        kind = obj.get("kind")
        if kind in WORKLOAD_KINDS:
            if kind == "ReplicaSet" and _owned(obj):
                continue
            if recorded_replicas(obj) is not None:
                out.add(_key(obj))
        elif kind == CRONJOB and recorded_suspend(obj) is not None:
            out.add(_key(obj))
    return out


def plan_scale_down(
    namespace: str,
    leaving: Iterable[Obj],
    other_side: Iterable[Obj],
    filters: FilterContext,
) -> list[Planned]:
    """What to scale down in ``namespace`` of the cluster being left (``leaving``: its
    workloads and CronJobs there; ``other_side``: the other cluster's, same namespace)."""
    leaving = [o for o in leaving if o.get("kind") in SCALED_KINDS]
    wanted = activated_here(other_side)
    carried = select_objects([dict(o) for o in leaving], filters)
    wanted |= {_key(o) for o in carried if not (o.get("kind") == "ReplicaSet" and _owned(o))}
    out = []
    for obj in sorted(leaving, key=lambda o: (SCALED_KINDS.index(str(o["kind"])), _key(o)[1])):
        if _key(obj) not in wanted:
            continue
        kind, name = _key(obj)
        if kind == CRONJOB:
            suspend = (obj.get("spec") or {}).get("suspend") is True
            before = _annotations(obj).get(CRONJOB_SUSPEND_ANNOTATION)
            out.append(Planned(namespace, kind, name, suspend=suspend, annotation=before))
        else:
            before = _annotations(obj).get(MIGRATION_REPLICAS_ANNOTATION)
            out.append(Planned(namespace, kind, name, replicas=_replicas(obj), annotation=before))
    return out


def scale_down_patch(planned: Planned, current: Obj) -> dict[str, Any]:
    """The merge patch that stops one object and records what the migration must carry.

    A workload at 0 with a positive record keeps that record (Stork's rule: a stopped copy
    is not mistaken for a stopped application); a suspended CronJob with a record keeps it.
    """
    if planned.kind == CRONJOB:
        recorded = recorded_suspend(current)
        suspended = (current.get("spec") or {}).get("suspend") is True
        original = recorded if suspended and recorded is not None else suspended
        return {
            "metadata": {
                "annotations": {CRONJOB_SUSPEND_ANNOTATION: "true" if original else "false"}
            },
            "spec": {"suspend": True},
        }
    replicas = _replicas(current)
    record = recorded_replicas(current) or 0
    count = record if replicas == 0 and record > 0 else replicas
    return {
        "metadata": {"annotations": {MIGRATION_REPLICAS_ANNOTATION: str(count)}},
        "spec": {"replicas": 0},
    }


def restore_patch(planned: Planned) -> dict[str, Any]:
    """The merge patch that puts an object back as it was before the scale-down (a null
    removes an annotation that was absent)."""
    key = CRONJOB_SUSPEND_ANNOTATION if planned.kind == CRONJOB else MIGRATION_REPLICAS_ANNOTATION
    spec: dict[str, Any] = (
        {"suspend": bool(planned.suspend)}
        if planned.kind == CRONJOB
        else {"replicas": planned.replicas if planned.replicas is not None else 1}
    )
    return {"metadata": {"annotations": {key: planned.annotation}}, "spec": spec}


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, Any]) -> bool:
    """A label selector (``matchLabels`` and ``matchExpressions``) against ``labels``; an
    empty or missing selector matches nothing (a workload always has one)."""
    if not isinstance(selector, Mapping) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def blocking_pods(
    pods: Iterable[Obj], workloads: Iterable[Obj], planned: Iterable[Planned]
) -> list[str]:
    """Names of the pods that must be gone before the other side starts the application:
    pods of the scaled-down workloads, and every pod mounting a claim (a Job's too: shared
    storage must never have a writer on both clusters). Finished pods do not count."""
    stopped = {(p.kind, p.name) for p in planned}
    selectors = [(w.get("spec") or {}).get("selector") for w in workloads if _key(w) in stopped]
    out = []
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        labels = _meta(pod).get("labels") or {}
        volumes = (pod.get("spec") or {}).get("volumes") or []
        claims = any(isinstance(v, Mapping) and v.get("persistentVolumeClaim") for v in volumes)
        if claims or any(selector_matches(s, labels) for s in selectors):
            out.append(str(_meta(pod).get("name")))
    return sorted(out)
