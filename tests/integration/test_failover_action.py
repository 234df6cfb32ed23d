"""`storkctl perform failover|failback` end to end on the sandbox (control planes only):
a controller on each cluster, a schedule migrating an application, then the Action run by the
destination's controller: the source scaled down and its schedule suspended, the last-mile
migration carrying a change made just before, the destination scaled up; the disaster case
(source stopped: skipped, and said so); a failure after the scale-down rolled back; failback.

Pods need nodes: these tests look at replicas and objects; tests/integration/
test_failover_pods.py runs the same on the sandbox with nodes, pods Ready.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from lightkube import Client
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import CronJob
from lightkube.resources.core_v1 import ConfigMap, Event
from lightkube.types import PatchType

from stork.kube.resources import (
    ActionResource,
    MigrationResource,
    MigrationScheduleResource,
    NamespacedSchedulePolicyResource,
)
from stork.migration.transform import CRONJOB_SUSPEND_ANNOTATION, MIGRATION_REPLICAS_ANNOTATION
from stork.sandbox.images import BUSYBOX_IMAGE
from tests.integration.conftest import Clusters, RunningController
from tests.integration.storkctl_harness import Storkctl
from tests.integration.test_migration import kubectl
from tests.waiting import wait_for

APP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: web, image: IMAGE, imagePullPolicy: Never, command: [sleep, "3600"]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: tick, image: IMAGE, imagePullPolicy: Never, command: [date]}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: runner, namespace: NAMESPACE}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""
SCHEDULE = "sched"
PAIR = "dr"


@dataclass
class DR:
    """A namespace under DR: pair in both directions, a schedule, a controller each side."""

    clusters: Clusters
    namespace: str
    source_controller: RunningController
    destination_controller: RunningController

    @property
    def src(self) -> Client:
        return self.clusters.source

    @property
    def dst(self) -> Client:
        return self.clusters.destination

    def storkctl(self, cluster: str = "destination") -> Storkctl:
        return Storkctl(self.clusters.kubeconfig(cluster))

    def action(self, name: str) -> dict[str, Any]:
        return dict(self.dst.get(ActionResource, name, namespace=self.namespace))

    def schedule(self, client: Client) -> dict[str, Any]:
        return dict(client.get(MigrationScheduleResource, SCHEDULE, namespace=self.namespace))

    def replicas(self, client: Client, name: str = "web") -> tuple[int | None, str | None]:
        obj = client.get(Deployment, name, namespace=self.namespace)
        assert obj.spec is not None
        assert obj.metadata is not None
        return obj.spec.replicas, (obj.metadata.annotations or {}).get(
            MIGRATION_REPLICAS_ANNOTATION
        )

    def suspended(self, client: Client) -> bool | None:
        cron = client.get(CronJob, "tick", namespace=self.namespace)
        assert cron.spec is not None
        return cron.spec.suspend

    def color(self, client: Client) -> str:
        return str(
            (client.get(ConfigMap, "settings", namespace=self.namespace).data or {})["color"]
        )

    def set_color(self, client: Client, color: str) -> None:
        client.patch(
            ConfigMap, "settings", {"data": {"color": color}}, namespace=self.namespace,
            patch_type=PatchType.MERGE,
        )  # fmt: skip

    def perform(self, *args: str) -> str:
        """`storkctl perform ...` on the destination; the Action's name (from its output)."""
        out = self.storkctl().ok("perform", *args, "-m", SCHEDULE, "-n", self.namespace)
        lines = out.splitlines()
        assert lines[0].startswith("Started "), out
        return lines[1].split("`")[1].split()[3]

    def wait_final(self, name: str, timeout: float = 120) -> dict[str, Any]:
        def final() -> dict[str, Any] | None:
            action = self.action(name)
            return action if (action.get("status") or {}).get("stage") == "Final" else None

        found = wait_for(final, timeout, f"action {name} to be Final")
        assert found is not None
        return found

    def events(self, name: str) -> list[str]:
        return [
            f"{e.type}/{e.reason}: {e.message}"
            for e in self.dst.list(Event, namespace=self.namespace)
            if e.involvedObject.name == name
        ]


def image() -> str:
    """The busybox image of the sandbox's nodes (nothing is pulled: pods run only with nodes)."""
    try:
        from stork.sandbox.images import BUSYBOX_IMAGE
    except ImportError:
        return "busybox"
    return BUSYBOX_IMAGE


def first_migration_succeeded(dr: DR) -> dict[str, Any] | None:
    items = ((dr.schedule(dr.src).get("status") or {}).get("items") or {}).get("Interval") or []
    return items[-1] if items and items[-1].get("status") == "Successful" else None


def setup_dr(
    clusters: Clusters,
    namespace: str,
    start_controller: Callable[..., RunningController],
    interval_minutes: int = 1,
) -> DR:
    """The application on the source, paired both ways, scheduled, migrated once."""
    kubectl(clusters.kubeconfig("source"), "apply", "-n", namespace, "-f", "-",
            stdin=APP.replace("IMAGE", BUSYBOX_IMAGE).replace("NAMESPACE", namespace))  # fmt: skip
    Storkctl(clusters.kubeconfig("source")).ok(
        "create", "clusterpair", PAIR, "-n", namespace, "--mode", "sync-dr",
        "--src-kube-file", str(clusters.kubeconfig("source")),
        "--dest-kube-file", str(clusters.kubeconfig("destination")),
    )  # fmt: skip
    clusters.source.create(
        NamespacedSchedulePolicyResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "NamespacedSchedulePolicy",
                "metadata": {"name": "often", "namespace": namespace},
                "policy": {"interval": {"intervalMinutes": interval_minutes}},
            }
        )
    )
    clusters.source.create(
        MigrationScheduleResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "MigrationSchedule",
                "metadata": {"name": SCHEDULE, "namespace": namespace},
                "spec": {
                    "schedulePolicyName": "often",
                    "autoSuspend": True,
                    "template": {
                        "spec": {
                            "clusterPair": PAIR,
                            "namespaces": [namespace],
                            "includeResources": True,
                            "includeVolumes": False,
                            "startApplications": False,
                        }
                    },
                },
            }
        )
    )
    common = ("--pair-check-interval", "1", "--no-leader-elect")
    source = start_controller(*common)
    destination = start_controller(
        *common, "--kubeconfig", str(clusters.kubeconfig("destination")),
        "--failover-probe-tries", "1", "--failover-last-mile-timeout", "60",
    )  # fmt: skip
    dr = DR(clusters, namespace, source, destination)
    begun = time.monotonic()
    try:
        wait_for(lambda: first_migration_succeeded(dr), 180, "the first scheduled migration")
    except AssertionError:
        print(source.output()[-6000:], dr.schedule(dr.src).get("status"))
        raise
    print(f"first scheduled migration: {time.monotonic() - begun:.1f}s")
    wait_for(lambda: dr.schedule(dr.dst), 10, "the static copy on the destination")
    assert dr.replicas(dr.dst) == (0, "2")
    return dr


@pytest.fixture
def dr(
    clusters: Clusters, namespace: str, start_controller: Callable[..., RunningController]
) -> DR:
    return setup_dr(clusters, namespace, start_controller)


def test_failover_then_failback_the_whole_loop(dr: DR) -> None:
    ns = dr.namespace
    dr.set_color(dr.src, "green")  # made just before: only the last-mile migration carries it
    started = time.monotonic()
    name = dr.perform("failover", "--wait")
    print(f"failover to Final: {time.monotonic() - started:.1f}s")
    action = dr.action(name)
    status = action["status"]
    assert (status["stage"], status["status"]) == ("Final", "Successful"), status
    assert status["summary"]["failoverSummary"] == [
        {"namespace": ns, "status": "Successful", "reason": f"scaling up apps in namespace {ns} successful"}
    ]  # fmt: skip
    condition = next(c for c in status["conditions"] if c["type"] == "SourceOperations")
    assert (condition["status"], condition["reason"]) == ("True", "Performed")

    # the source: stopped, with what the last mile carried recorded; its schedule suspended
    assert dr.replicas(dr.src) == (0, "2")
    assert dr.suspended(dr.src) is True
    cron = dr.src.get(CronJob, "tick", namespace=ns)
    assert (cron.metadata.annotations or {})[CRONJOB_SUSPEND_ANNOTATION] == "false"  # type: ignore[union-attr]
    assert dr.schedule(dr.src)["spec"]["suspend"] is True
    assert status["suspendedSchedule"] == {
        "cluster": "source", "namespace": ns, "name": SCHEDULE, "wasSuspended": False,
    }  # fmt: skip
    assert [(e["kind"], e["name"], e.get("replicas"), e.get("suspend")) for e in status["scaledDown"]] == [
        ("Deployment", "web", 2, None), ("CronJob", "tick", None, False),
    ]  # fmt: skip

    # the last mile: a real Migration on the source, run by the source's controller
    last_mile = dict(dr.src.get(MigrationResource, status["lastMileMigration"], namespace=ns))
    assert (
        last_mile["metadata"]["name"]
        == f"{SCHEDULE}-lastmile-failover-{action['metadata']['uid'][:7]}"
    )
    assert last_mile["status"]["status"] == "Successful"
    assert last_mile["spec"]["namespaces"] == [ns]
    assert last_mile["spec"]["startApplications"] is False
    assert (
        last_mile["metadata"]["annotations"][
            "stork.libopenstorage.org/lastmile-migration-schedule-name"
        ]
        == SCHEDULE
    )

    # here: started from the records, the change carried, the static copy activated
    assert dr.replicas(dr.dst)[0] == 2
    assert dr.suspended(dr.dst) is False
    assert dr.color(dr.dst) == "green"
    assert dr.schedule(dr.dst)["status"]["applicationActivated"] is True

    table = dr.storkctl().ok("get", "failover", name, "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "CREATED", "STAGE", "STATUS", "MORE", "INFO"]
    assert table[1].startswith(name)
    assert table[1].endswith("Completed   Successful   Scaled up Apps in : 1/1 namespaces")
    assert dr.storkctl().ok("get", "failback", "-n", ns) == "No resources found.\n"
    events = dr.events(name)
    assert any("Last mile migration" in e and "successful" in e for e in events), events
    assert "Normal/Successful: failover completed successfully" in events

    # the outage: the application changes here; then failback brings it home
    dr.set_color(dr.dst, "red")
    started = time.monotonic()
    back = dr.perform("failback", "--wait")
    print(f"failback to Final: {time.monotonic() - started:.1f}s")
    status = dr.action(back)["status"]
    assert (status["stage"], status["status"]) == ("Final", "Successful"), status
    assert status["summary"]["failbackSummary"][0]["status"] == "Successful"
    assert dr.replicas(dr.dst)[0] == 0
    assert dr.suspended(dr.dst) is True
    assert dr.replicas(dr.src)[0] == 2
    assert dr.suspended(dr.src) is False
    assert dr.color(dr.src) == "red"
    assert dr.schedule(dr.src)["spec"]["suspend"] is False  # resumed
    assert not dr.schedule(dr.dst)["status"].get("applicationActivated")
    back_mile = dict(dr.dst.get(MigrationResource, status["lastMileMigration"], namespace=ns))
    assert back_mile["status"]["status"] == "Successful"
    # the resumed schedule migrates again (not suspended again by its copy's old activation)
    runs = {i["name"] for i in first_migration_succeeded_items(dr)}

    def another_run() -> bool:
        now = {i["name"] for i in first_migration_succeeded_items(dr)}
        return bool(now - runs) and first_migration_succeeded(dr) is not None

    wait_for(another_run, 90, "a scheduled migration after the failback")
    assert dr.schedule(dr.src)["spec"]["suspend"] is False
    assert dr.replicas(dr.dst) == (0, "2")


def first_migration_succeeded_items(dr: DR) -> list[dict[str, Any]]:
    items = ((dr.schedule(dr.src).get("status") or {}).get("items") or {}).get("Interval") or []
    return list(items)


def test_with_the_source_gone_the_failover_skips_its_steps_and_says_so(dr: DR) -> None:
    ns = dr.namespace
    dr.clusters.sandbox.stop("source")
    try:
        name = dr.perform("failover", "--wait")
        status = dr.action(name)["status"]
        assert (status["stage"], status["status"]) == ("Final", "Successful"), status
        condition = next(c for c in status["conditions"] if c["type"] == "SourceOperations")
        assert (condition["status"], condition["reason"]) == ("False", "SourceUnreachable")
        assert condition["message"].startswith(
            "Unable to access the remote cluster. Directly moving to the Failover "
            "ScaleUpDestinationStage: Cluster accessibility test unsuccessful. Remote cluster "
        )
        assert "scaledDown" not in status
        assert "lastMileMigration" not in status
        assert dr.replicas(dr.dst)[0] == 2
        assert dr.suspended(dr.dst) is False
        events = dr.events(name)
        assert any(
            e.startswith("Warning/RemoteClusterAccessibility: Cluster accessibility")
            for e in events
        )
        assert any("Directly moving to the Failover ScaleUpDestinationStage" in e for e in events)
        out = dr.storkctl().ok("get", "failover", name, "-n", ns)
        assert out.splitlines()[1].endswith(
            "Completed   Successful   Scaled up Apps in : 1/1 namespaces"
        )
    finally:
        dr.clusters.sandbox.start("source")
    # the source, back, was not touched
    assert dr.replicas(dr.src) == (2, None)
    assert dr.schedule(dr.src)["spec"].get("suspend") in (None, False, True)


def test_skip_source_operations_is_honoured_with_the_source_up(dr: DR) -> None:
    name = dr.perform("failover", "--skip-source-operations", "--wait")
    status = dr.action(name)["status"]
    assert (status["stage"], status["status"]) == ("Final", "Successful")
    condition = next(c for c in status["conditions"] if c["type"] == "SourceOperations")
    assert (condition["status"], condition["reason"]) == ("False", "Skipped")
    assert "SkipSourceOperations is set to true" in condition["message"]
    assert dr.replicas(dr.src) == (2, None)  # not touched
    # The Action suspended nothing there (the source schedule's own autoSuspend may, a second
    # after the destination is activated: that is Stork's behaviour, not the failover's).
    assert not status.get("suspendedSchedule"), status
    assert dr.replicas(dr.dst)[0] == 2


DENY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: NAME}
spec:
  failurePolicy: Fail
  matchConstraints:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: NS}}
    resourceRules:
    - {apiGroups: ["", apps, batch], apiVersions: ["*"], operations: [CREATE, UPDATE],
       resources: [configmaps, deployments, cronjobs]}
  validations: [{expression: "false", message: "this namespace is read-only"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: NAME}
spec: {policyName: NAME, validationActions: [Deny]}
"""


def test_a_failure_after_the_scale_down_rolls_the_source_back(dr: DR) -> None:
    ns = dr.namespace
    source_cron = dr.src.get(CronJob, "tick", namespace=ns)
    before = (
        dr.replicas(dr.src),
        dr.suspended(dr.src),
        dict(source_cron.metadata.annotations or {}),
    )  # type: ignore[union-attr]
    dr.set_color(dr.src, "green")
    deny = DENY.replace("NAME", f"deny-{ns}").replace("NS", ns)
    destination = dr.clusters.kubeconfig("destination")
    kubectl(destination, "apply", "-f", "-", stdin=deny)
    try:
        ran = dr.storkctl()("perform", "failover", "-m", SCHEDULE, "-n", ns, "--wait")
    finally:
        kubectl(destination, "delete", "-f", "-", stdin=deny)
    assert ran.code == 1, ran
    name = ran.stdout.splitlines()[1].split("`")[1].split()[3]
    status = dr.action(name)["status"]
    assert (status["stage"], status["status"]) == ("Final", "Failed"), status
    assert status["failedStage"] == "LastMileMigration"
    assert status["reason"].startswith(
        "The failover operation is aborted because the last mile migration "
        f"{status['lastMileMigration']} failed with status "
    )
    assert "read-only" in status["reason"]
    assert ran.stderr.startswith(
        f"error: failover {name} failed: The failover operation is aborted"
    )
    assert status["summary"]["failoverSummary"] == [
        {"namespace": ns, "status": "RollbackSuccessful",
         "reason": f"rolled back the scale down of apps in namespace {ns}"}
    ]  # fmt: skip
    # the source as it was: replicas, CronJob, annotations, schedule running again
    cron = dr.src.get(CronJob, "tick", namespace=ns)
    after = (dr.replicas(dr.src), dr.suspended(dr.src), dict(cron.metadata.annotations or {}))  # type: ignore[union-attr]
    assert after == before
    assert dr.schedule(dr.src)["spec"]["suspend"] is False
    # the destination not started, its copy not activated
    assert dr.replicas(dr.dst) == (0, "2")
    assert dr.color(dr.dst) == "blue"
    assert not dr.schedule(dr.dst).get("status", {}).get("applicationActivated")
    out = dr.storkctl().ok("get", "failover", name, "-n", ns).splitlines()[1]
    assert (
        "Completed   Failed   Rolled back Apps in : 1/1 namespaces ; The failover operation" in out
    )
