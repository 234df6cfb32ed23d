"""Selecting namespace by namespace, in batches of any size and kind order, selects exactly
what selecting the whole listing at once does."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stork.migration.filters import FilterContext, GroupKind, Selector, select_objects

NAMESPACES = ("a", "b")
KINDS = {
    "ConfigMap": "v1",
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
    "Service": "v1",
    "ServiceAccount": "v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "PersistentVolumeClaim": "v1",
    "Widget": "example.com/v1",
}


@st.composite
def listings(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ns in NAMESPACES:
        count = draw(st.integers(0, 12))
        made: list[dict[str, Any]] = []
        for i in range(count):
            kind = draw(st.sampled_from(sorted(KINDS)))
            meta: dict[str, Any] = {"name": f"o{i % 4}", "namespace": ns, "uid": f"{ns}-{i}"}
            if draw(st.booleans()):
                meta["labels"] = {"tier": draw(st.sampled_from(["web", "cache"]))}
            if draw(st.integers(0, 9)) == 0:
                meta["annotations"] = {"stork.libopenstorage.org/skip-resource": "true"}
            if made and draw(st.booleans()):
                owner = draw(st.sampled_from(made))
                meta["ownerReferences"] = [
                    {
                        "apiVersion": owner["apiVersion"],
                        "kind": owner["kind"],
                        "uid": owner["metadata"]["uid"],
                    }
                ]
            obj: dict[str, Any] = {"apiVersion": KINDS[kind], "kind": kind, "metadata": meta}
            if kind == "PersistentVolumeClaim":
                obj["status"] = {"phase": draw(st.sampled_from(["Bound", "Pending"]))}
            if kind == "RoleBinding":
                obj["roleRef"] = {"name": draw(st.sampled_from(["view", "edit", "system:x"]))}
            if kind == "Deployment" and draw(st.booleans()):
                obj["spec"] = {"template": {"spec": {"priorityClassName": "high"}}}
            made.append(obj)
        out += made
    for i, name in enumerate(["view", "edit", "system:x", "runner"]):
        out.append({"kind": "ClusterRole", "metadata": {"name": name, "uid": f"cr-{i}"}})
    out.append({"kind": "PriorityClass", "metadata": {"name": "high", "uid": "pc"}})
    for i in range(4):
        claim = {"namespace": draw(st.sampled_from(NAMESPACES)), "name": f"o{i}"}
        out.append(
            {
                "kind": "PersistentVolume",
                "metadata": {"name": f"pv{i}", "uid": f"pv-{i}"},
                "spec": {"claimRef": claim},
                "status": {"phase": draw(st.sampled_from(["Bound", "Released"]))},
            }
        )
    subject = {
        "kind": "ServiceAccount",
        "name": "o1",
        "namespace": draw(st.sampled_from(NAMESPACES)),
    }
    out.append(
        {
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "runner", "uid": "crb"},
            "roleRef": {"name": "runner"},
            "subjects": [subject],
        }
    )
    return out


def _gk(obj: dict[str, Any]) -> GroupKind:
    return (str(obj.get("apiVersion", "")).rpartition("/")[0], str(obj["kind"]))


@settings(max_examples=150, deadline=None)
@given(
    listings(),
    st.sampled_from([{}, {"tier": "cache"}]),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_batches_select_what_the_whole_listing_selects(
    listed: list[dict[str, Any]], excludes: dict[str, str], ignore_owners: bool, rnd: Any
) -> None:
    ctx = FilterContext(
        namespaces=frozenset(NAMESPACES),
        exclude_selectors=excludes,
        ignore_owner_references_check=ignore_owners,
    )
    whole = {o["metadata"]["uid"] for o in select_objects(listed, ctx)}

    selector = Selector(ctx, [o for o in listed if not o["metadata"].get("namespace")])
    streamed: list[dict[str, Any]] = []
    for ns in NAMESPACES:
        objects = [o for o in listed if o["metadata"].get("namespace") == ns]
        kinds = sorted({_gk(o) for o in objects})
        rnd.shuffle(kinds)
        selection = selector.namespace(ns)
        for i, gk in enumerate(kinds):
            of_kind = [o for o in objects if _gk(o) == gk]
            chunk = rnd.randint(1, 3)
            batches = [of_kind[j : j + chunk] for j in range(0, len(of_kind), chunk)]
            for j, batch in enumerate(batches):
                pending = set(kinds[i + 1 :]) | ({gk} if j < len(batches) - 1 else set())
                streamed += selection.select(batch, frozenset(pending))
        streamed += selection.finish()
    streamed += selector.finish()
    uids = [o["metadata"]["uid"] for o in streamed]
    assert len(uids) == len(set(uids))  # nothing twice
    assert set(uids) == whole
