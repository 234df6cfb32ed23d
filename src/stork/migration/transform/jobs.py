"""Jobs: the labels that tie a Job to its source uid do not travel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stork.migration.transform._objects import Obj, get_in, group_kind, set_in, without_in

#: Labels the source's API server derived from the Job's uid (legacy and current spelling).
CONTROLLER_UID_LABELS = frozenset({"controller-uid", "batch.kubernetes.io/controller-uid"})
_LABEL_PATHS = (
    ("metadata", "labels"),
    ("spec", "selector", "matchLabels"),
    ("spec", "template", "metadata", "labels"),
)


def clean_job(obj: Mapping[str, Any]) -> Obj:
    """A Job without controller-uid labels (other objects: a plain copy).

    ``controller-uid`` and ``batch.kubernetes.io/controller-uid`` are removed from the Job's
    labels, its ``spec.selector.matchLabels`` and its pod template's labels, as Stork does: the
    destination's API server would reject a selector naming another Job's uid. A selector left
    empty is removed unless ``spec.manualSelector`` is true, and the API server generates a new
    one (it adds the new uid labels to the template too); an emptied label map is removed.
    """
    out = dict(obj)
    if group_kind(obj) != ("batch", "Job"):
        return out
    for path in _LABEL_PATHS:
        labels = get_in(obj, *path)
        if not isinstance(labels, Mapping) or not CONTROLLER_UID_LABELS & labels.keys():
            continue
        kept = {k: v for k, v in labels.items() if k not in CONTROLLER_UID_LABELS}
        out = set_in(out, path, kept) if kept else without_in(out, path)
    selector = get_in(out, "spec", "selector")
    if selector == {} and get_in(out, "spec", "manualSelector") is not True:
        out = without_in(out, ("spec", "selector"))
    return out
