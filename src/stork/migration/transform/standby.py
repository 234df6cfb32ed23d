"""startApplications false, beyond Stork: Jobs and DaemonSets do not run on the standby.

Stork applies both as they are, so a migrated Job runs on the destination at once and a
DaemonSet starts a pod on every node there. Here a Job arrives suspended (``spec.suspend:
true``) and a DaemonSet parked: its pod template gets a node selector that no node matches
(:data:`PARKED_NODE_SELECTOR`). Both are recorded (see ``parking``) and put back exactly by
activation: the Job's own ``suspend`` (often absent), the DaemonSet's own node selector.

With startApplications true a parked copy is started from its record, as the workloads are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stork.migration.transform._objects import Obj, group_kind
from stork.migration.transform.parking import Change, carried_original, park, started

#: A node label no node carries: a DaemonSet selecting it has no pod anywhere.
PARKED_NODE_SELECTOR = {"stork.libopenstorage.org/parked": "true"}
JOB_KINDS = frozenset({("batch", "Job")})
DAEMONSET_KINDS = frozenset({("apps", "DaemonSet"), ("extensions", "DaemonSet")})
_SUSPEND = ("spec", "suspend")
_NODE_SELECTOR = ("spec", "template", "spec", "nodeSelector")


def park_runners(obj: Mapping[str, Any], start_applications: bool) -> Obj:
    """A Job suspended or a DaemonSet parked, recorded (other objects: a plain copy)."""
    kind = group_kind(obj)
    if kind not in JOB_KINDS | DAEMONSET_KINDS:
        return dict(obj)
    if start_applications:
        return started(obj)
    if kind in JOB_KINDS:
        return park(obj, [Change(_SUSPEND, True, carried_original(obj, _SUSPEND))])
    original = carried_original(obj, _NODE_SELECTOR)
    base = original if isinstance(original, Mapping) else {}
    parked = {**base, **PARKED_NODE_SELECTOR}
    return park(obj, [Change(_NODE_SELECTOR, parked, original)])
