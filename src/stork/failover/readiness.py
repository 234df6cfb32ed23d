"""Is a workload Ready, and if not, why (pure): the per-workload lines of a drill report.

A workload is Ready when its controller has seen its latest spec and as many of its pods are
Ready as it wants (a DaemonSet: as many as it schedules). When it is not, the reason is the
first problem found among its pods, in the order a person would look: not scheduled, a claim
not bound, a container that cannot start (image, crash), a container running but not Ready.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stork.failover.scaling import selector_matches

Obj = Mapping[str, Any]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet")
#: Waiting reasons that are only a matter of time.
_STARTING = frozenset({"ContainerCreating", "PodInitializing"})


@dataclass(frozen=True)
class Readiness:
    """One workload's line of the report."""

    namespace: str
    kind: str
    name: str
    ready: bool
    reason: str

    def to_status(self) -> dict[str, Any]:
        """As an entry of the drill report's ``workloads``."""
        return {
            "namespace": self.namespace,
            "kind": self.kind,
            "name": self.name,
            "ready": self.ready,
            "reason": self.reason,
        }


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _counts(workload: Obj) -> tuple[int, int, bool]:
    """(ready, wanted, the controller saw the latest spec)."""
    spec, status = workload.get("spec") or {}, workload.get("status") or {}
    generation = _int((workload.get("metadata") or {}).get("generation"), 0)
    observed = _int(status.get("observedGeneration"), 0) >= generation
    if workload.get("kind") == "DaemonSet":
        return _int(status.get("numberReady")), _int(status.get("desiredNumberScheduled")), observed
    return _int(status.get("readyReplicas")), _int(spec.get("replicas"), 1), observed


def _pod_ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def pod_problem(pod: Obj, claims: Mapping[str, Obj]) -> str | None:
    """Why one pod is not Ready, or None when it is (or is only starting)."""
    name = (pod.get("metadata") or {}).get("name")
    status = pod.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            why = condition.get("message") or condition.get("reason")
            return f"pod {name} not scheduled: {why}"
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if claim:
            phase = ((claims.get(claim) or {}).get("status") or {}).get("phase")
            if phase != "Bound":
                return f"PersistentVolumeClaim {claim} is {phase or 'missing'}"
    containers = [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]
    for container in containers:
        waiting = (container.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason and reason not in _STARTING:
            message = waiting.get("message")
            detail = f": {message}" if message else ""
            return f"pod {name} container {container.get('name')}: {reason}{detail}"
        terminated = (container.get("state") or {}).get("terminated") or {}
        if terminated and _int(terminated.get("exitCode")) != 0:
            return (
                f"pod {name} container {container.get('name')} exited with code "
                f"{terminated.get('exitCode')} ({terminated.get('reason') or 'Error'})"
            )
    if status.get("phase") == "Running" and not _pod_ready(pod):
        return f"pod {name} is Running but not Ready (readiness probe)"
    return None


def readiness(workload: Obj, pods: Iterable[Obj], claims: Mapping[str, Obj]) -> Readiness:
    """The report line of one workload, from its pods (any pods: its selector picks them)
    and the claims of its namespace (by name)."""
    meta = workload.get("metadata") or {}
    ready, wanted, observed = _counts(workload)
    ok = observed and ready >= wanted
    line = f"{ready}/{wanted} Ready"
    selector = (workload.get("spec") or {}).get("selector")
    mine = [
        p
        for p in pods
        if selector_matches(selector, (p.get("metadata") or {}).get("labels") or {})
        and not (p.get("metadata") or {}).get("deletionTimestamp")
    ]
    if not ok:
        problems = [p for p in (pod_problem(pod, claims) for pod in mine) if p]
        if problems:
            line += f"; {problems[0]}"
        elif not mine and wanted:
            line += "; no pods yet"
    return Readiness(
        str(meta.get("namespace") or ""), str(workload.get("kind")), str(meta.get("name")), ok, line
    )


def report(workloads: Iterable[Obj], pods: Iterable[Obj], claims: Iterable[Obj]) -> list[Readiness]:
    """Every workload's line (ReplicaSets only when no Deployment owns them), sorted."""
    pods = list(pods)
    by_name: dict[tuple[str, str], Obj] = {}
    for claim in claims:
        meta = claim.get("metadata") or {}
        by_name[(str(meta.get("namespace")), str(meta.get("name")))] = claim
    out = []
    for workload in workloads:
        meta = workload.get("metadata") or {}
        if workload.get("kind") not in WORKLOAD_KINDS:
            continue
        if workload.get("kind") == "ReplicaSet" and meta.get("ownerReferences"):
            continue
        ns = str(meta.get("namespace"))
        here = {n: c for (cns, n), c in by_name.items() if cns == ns}
        same_ns = [p for p in pods if (p.get("metadata") or {}).get("namespace") == ns]
        out.append(readiness(workload, same_ns, here))
    return sorted(out, key=lambda r: (r.namespace, WORKLOAD_KINDS.index(r.kind), r.name))
