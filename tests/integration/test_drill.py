"""`storkctl perform drill` on the sandbox (control planes only: the copies, the isolation, the
report and the teardown; pods Ready are tests/integration/test_failover_pods.py's, on nodes).

The drill namespace holds the standby's objects mapped into it, isolated by a default-deny
NetworkPolicy, without Stork's bookkeeping or the production volumes and node ports; the
standby and the source are untouched (resourceVersions); the teardown leaves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lightkube import ApiError, Client
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import CronJob
from lightkube.resources.core_v1 import ConfigMap, Namespace, Service, ServiceAccount
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.rbac_authorization_v1 import Role, RoleBinding

from stork.failover.drill import DRILL_LABEL, DRILL_UID_ANNOTATION, ISOLATION_POLICY
from stork.kube.resources import ActionResource
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_failover_action import DR, SCHEDULE, setup_dr
from tests.waiting import wait_for

KINDS = (ConfigMap, Deployment, CronJob, Service, ServiceAccount, Role, RoleBinding)


#: Kinds whose status their own controllers keep writing while the application runs (the
#: CronJob's last schedule time, the Deployment's ready counts): on the running source they are
#: compared by what anyone else would write (generation, labels, annotations).
LIVE = (Deployment, CronJob)


def versions(client: Client, namespace: str, live: bool = False) -> dict[str, Any]:
    """resourceVersion of every object of the application's kinds in ``namespace`` (``live``:
    generation and metadata for the kinds a running application's controllers update)."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        for obj in client.list(kind, namespace=namespace):
            assert obj.metadata is not None
            if obj.metadata.name in ("kube-root-ca.crt", "default"):
                continue  # the namespace's own, made by its controller-manager
            meta = obj.metadata
            out[f"{kind.__name__}/{meta.name}"] = (
                (meta.generation, meta.labels, meta.annotations)
                if live and kind in LIVE
                else str(meta.resourceVersion)
            )
    return out


def gone(client: Client, name: str) -> bool:
    try:
        client.get(Namespace, name)
    except ApiError as e:
        return e.status.code == 404
    return False


@pytest.fixture
def dr(
    clusters: Clusters, namespace: str, start_controller: Callable[..., RunningController]
) -> DR:
    return setup_dr(clusters, namespace, start_controller)


def test_a_kept_drill_copies_isolates_reports_and_is_deleted_without_a_trace(dr: DR) -> None:
    ns, drill_ns = dr.namespace, f"{dr.namespace}-rehearsal"
    standby, source = versions(dr.dst, ns), versions(dr.src, ns, live=True)
    ran = dr.storkctl()(
        "perform", "drill", "-m", SCHEDULE, "-n", ns, "--suffix", "rehearsal", "--keep",
        "--timeout", "3s", "--wait",
    )  # fmt: skip
    assert ran.code == 1, ran  # no nodes: its pods cannot become Ready
    name = ran.stdout.splitlines()[1].split("`")[1].split()[3]
    action = dr.action(name)
    status, drill = action["status"], action["status"]["drill"]
    assert (status["stage"], status["status"]) == ("Final", "Failed")
    assert status["failedStage"] == "DrillWait"
    assert status["reason"].startswith("0/1 workloads Ready after 3s; ")
    assert drill["namespaces"] == {ns: drill_ns}
    assert drill["tornDown"] is False
    assert drill["refused"] == []
    assert [(w["kind"], w["name"], w["ready"]) for w in drill["workloads"]] == [
        ("Deployment", "web", False)
    ]
    assert drill["workloads"][0]["reason"].startswith("0/2 Ready")

    # the drill namespace: ours, isolated, the copies mapped and started, no bookkeeping
    namespace = dr.dst.get(Namespace, drill_ns)
    assert namespace.metadata.labels[DRILL_LABEL] == name  # type: ignore[index,union-attr]
    assert namespace.metadata.annotations[DRILL_UID_ANNOTATION] == action["metadata"]["uid"]  # type: ignore[index,union-attr]
    policy = dr.dst.get(NetworkPolicy, ISOLATION_POLICY, namespace=drill_ns)
    assert policy.spec.policyTypes == ["Ingress", "Egress"]  # type: ignore[union-attr]
    web = dr.dst.get(Deployment, "web", namespace=drill_ns)
    assert web.spec.replicas == 2  # type: ignore[union-attr]
    assert web.metadata.labels[DRILL_LABEL] == name  # type: ignore[index,union-attr]
    annotations = web.metadata.annotations or {}  # type: ignore[union-attr]
    assert not [k for k in annotations if k.startswith("stork.")], annotations
    binding = dr.dst.get(RoleBinding, "reader", namespace=drill_ns)
    assert [(s.kind, s.name, s.namespace) for s in binding.subjects or []] == [
        ("ServiceAccount", "runner", drill_ns)
    ]
    service = dr.dst.get(Service, "web", namespace=drill_ns)
    assert service.spec.type == "ClusterIP"  # type: ignore[union-attr]
    assert all(p.nodePort is None for p in service.spec.ports or [])  # type: ignore[union-attr]
    assert dr.dst.get(CronJob, "tick", namespace=drill_ns).spec.suspend is True  # type: ignore[union-attr]
    assert any("type NodePort becomes ClusterIP" in n for n in drill["notes"])

    report = dr.storkctl().ok("describe", "drill", name, "-n", ns)
    assert f"  {ns} -> {drill_ns}" in report
    assert f"  {drill_ns}/Deployment/web  NOT READY  0/2 Ready" in report
    assert "Torn down:        no (kept:" in report
    row = dr.storkctl().ok("get", "drill", "-n", ns).splitlines()[1]
    assert row.startswith(name)
    assert "Completed   Failed   Ready workloads : 0/1 ; 0/1 workloads Ready after 3s" in row

    # the standby and the source untouched; then the schedule runs and changes nothing either
    assert versions(dr.dst, ns) == standby
    assert versions(dr.src, ns, live=True) == source

    out = dr.storkctl().ok("delete", "drill", name, "-n", ns)
    assert out == f"Drill {name} deleted successfully (namespaces {drill_ns} are being deleted)\n"
    wait_for(lambda: gone(dr.dst, drill_ns), 120, f"{drill_ns} to be deleted")
    wait_for(lambda: not list(dr.dst.list(Namespace, labels={DRILL_LABEL: name})), 10, "no drill")
    assert dr.storkctl().ok("get", "drill", "-n", ns) == "No resources found.\n"
    assert versions(dr.dst, ns) == standby


def test_a_drill_tears_itself_down_and_refuses_a_namespace_it_did_not_make(dr: DR) -> None:
    ns = dr.namespace
    ran = dr.storkctl()("perform", "drill", "-m", SCHEDULE, "-n", ns, "--timeout", "2s", "--wait")
    assert ran.code == 1, ran
    name = ran.stdout.splitlines()[1].split("`")[1].split()[3]
    drill: dict[str, Any] = dr.action(name)["status"]["drill"]
    assert drill["tornDown"] is True
    assert gone(dr.dst, f"{ns}-drill")

    # someone else's namespace of the same name is never taken over, nor deleted
    dr.dst.create(Namespace.from_dict({"metadata": {"name": f"{ns}-drill"}}))
    try:
        ran = dr.storkctl()("perform", "drill", "-m", SCHEDULE, "-n", ns, "--wait")
        assert ran.code == 1, ran
        assert ran.stderr.startswith("error: drill ")
        assert f"namespace {ns}-drill already exists and is not this drill's" in ran.stderr
        assert not gone(dr.dst, f"{ns}-drill")
    finally:
        dr.dst.delete(Namespace, f"{ns}-drill")


def test_deleting_a_kept_drill_s_action_takes_its_namespaces_with_it(dr: DR) -> None:
    ns = dr.namespace
    args = ("perform", "drill", "-m", SCHEDULE, "-n", ns, "--keep", "--timeout", "2s", "--wait")
    ran = dr.storkctl()(*args)
    assert ran.code == 1, ran
    name = ran.stdout.splitlines()[1].split("`")[1].split()[3]
    assert not gone(dr.dst, f"{ns}-drill")
    dr.dst.delete(ActionResource, name, namespace=ns)  # kubectl delete action: the finalizer
    wait_for(lambda: gone(dr.dst, f"{ns}-drill"), 120, "the drill namespace to be deleted")

    def action_gone() -> bool:
        try:
            dr.action(name)
        except ApiError as e:
            return e.status.code == 404
        return False

    wait_for(action_gone, 30, "the drill's Action to be gone")
