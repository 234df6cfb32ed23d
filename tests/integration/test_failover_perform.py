"""`storkctl perform failover|failback|drill` checks on the sandbox: Stork's storkctl tests
(pkg/storkctl/action_test.go) ported, each refusal Stork's message and exit code 1, and the
Action each success creates."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from lightkube import Client

from stork.kube.resources import ActionResource, ClusterPairResource, MigrationScheduleResource
from tests.integration.conftest import Clusters, RunningController
from tests.integration.storkctl_harness import Storkctl
from tests.waiting import wait_for

API = "stork.libopenstorage.org/v1alpha1"
STAMP = r"\d{4}-\d{2}-\d{2}-\d{6}"


def make_schedule(client: Client, ns: str, name: str, namespaces: list[str], static: bool) -> None:
    annotations = {"stork.libopenstorage.org/static-copy": "true"} if static else {}
    client.create(
        MigrationScheduleResource.from_dict(
            {
                "apiVersion": API,
                "kind": "MigrationSchedule",
                "metadata": {"name": name, "namespace": ns, "annotations": annotations},
                "spec": {
                    "schedulePolicyName": "default-migration-policy",
                    "suspend": True,
                    "template": {
                        "spec": {"clusterPair": "cluster-pair1", "namespaces": namespaces}
                    },
                },
            }
        )
    )


def make_pair(client: Client, ns: str) -> None:
    client.create(
        ClusterPairResource.from_dict(
            {
                "apiVersion": API,
                "kind": "ClusterPair",
                "metadata": {"name": "cluster-pair1", "namespace": ns},
                "spec": {"options": {}, "config": {}},
            }
        )
    )


@pytest.fixture
def dst(clusters: Clusters, namespace: str) -> Storkctl:
    """storkctl on the destination, where the namespace exists too."""
    from lightkube.models.meta_v1 import ObjectMeta
    from lightkube.resources.core_v1 import Namespace

    clusters.destination.create(Namespace(metadata=ObjectMeta(name=namespace)))
    return Storkctl(clusters.kubeconfig("destination"))


def refused(storkctl: Storkctl, *args: str) -> str:
    ran = storkctl(*args)
    assert ran.code == 1, ran
    assert ran.stdout == ""
    return ran.error


@pytest.mark.parametrize("verb", ["failover", "failback", "drill"])
def test_the_schedule_must_be_named_and_exist(dst: Storkctl, namespace: str, verb: str) -> None:
    assert refused(dst, "perform", verb, "-n", namespace) == (
        f"error: reference MigrationSchedule name needs to be provided for {verb}"
    )
    assert refused(dst, "perform", verb, "-m", "invalid-migr-sched", "-n", namespace) == (
        "error: unable to find the reference MigrationSchedule invalid-migr-sched in the "
        f"{namespace} namespace"
    )


def test_failover_and_drill_must_run_where_the_static_copy_is(
    clusters: Clusters, dst: Storkctl, namespace: str
) -> None:
    make_schedule(clusters.destination, namespace, "real", [namespace], static=False)
    make_pair(clusters.destination, namespace)
    args = ("-m", "real", "--include-namespaces", namespace, "-n", namespace)
    assert refused(dst, "perform", "failover", *args) == (
        "error: ensure that `storkctl perform failover` is run in the cluster you want to "
        "failover to"
    )
    assert refused(dst, "perform", "drill", *args) == (
        "error: ensure that `storkctl perform drill` is run in the cluster that holds the "
        "standby copy"
    )


def test_namespace_choices(clusters: Clusters, dst: Storkctl, namespace: str) -> None:
    make_schedule(clusters.destination, namespace, "s", [namespace, "ns2"], static=True)
    make_pair(clusters.destination, namespace)
    both = ("--include-namespaces", namespace, "--exclude-namespaces", "ns2")
    for verb, extra in (
        ("failover", ("--skip-source-operations",)),
        ("failback", ()),
        ("drill", ()),
    ):
        assert refused(dst, "perform", verb, "-m", "s", *both, *extra, "-n", namespace) == (
            "error: can provide only one of --include-namespaces or --exclude-namespaces values "
            "at once"
        )
        for flag in ("--include-namespaces", "--exclude-namespaces"):
            assert refused(
                dst, "perform", verb, "-m", "s", flag, "namespace1,ns2", "-n", namespace
            ) == (
                "error: provided namespaces [namespace1] are not a subset of the namespaces being "
                "migrated by the given MigrationSchedule"
            )


def test_the_pair_must_exist_unless_the_source_is_skipped(
    clusters: Clusters, dst: Storkctl, namespace: str
) -> None:
    make_schedule(clusters.destination, namespace, "s", [namespace, "ns2"], static=True)
    for verb in ("failover", "failback"):
        assert refused(dst, "perform", verb, "-m", "s", "-n", namespace) == (
            f"error: unable to find the ClusterPair cluster-pair1 in the {namespace} namespace"
        )
    out = dst.ok("perform", "failover", "-m", "s", "--skip-source-operations", "-n", namespace)
    name = _check_started(out, "failover", namespace, "s")
    spec = action(clusters, namespace, name)["spec"]
    assert spec == {
        "actionType": "failover",
        "actionParameter": {
            "failoverParameter": {
                "failoverNamespaces": [namespace, "ns2"],
                "migrationScheduleReference": "s",
                "skipSourceOperations": True,
            }
        },
    }


def _check_started(out: str, verb: str, namespace: str, schedule: str) -> str:
    lines = out.splitlines()
    assert lines[0] == f"Started {verb} for MigrationSchedule {namespace}/{schedule}"
    match = re.fullmatch(
        rf"To check {verb} status use the command : `storkctl get {verb} "
        rf"({verb}-{schedule}-{STAMP}) -n {namespace}`",
        lines[1],
    )
    assert match is not None, lines
    assert len(lines) == 2
    return match.group(1)


def action(clusters: Clusters, namespace: str, name: str) -> dict[str, Any]:
    return dict(clusters.destination.get(ActionResource, name, namespace=namespace))


def test_successes_create_the_action_stork_creates(
    clusters: Clusters, dst: Storkctl, namespace: str
) -> None:
    make_schedule(clusters.destination, namespace, "s", [namespace, "ns2"], static=True)
    make_pair(clusters.destination, namespace)
    out = dst.ok(
        "perform", "failover", "-m", "s", "--exclude-namespaces", namespace, "-n", namespace
    )
    params = action(clusters, namespace, _check_started(out, "failover", namespace, "s"))["spec"]
    assert params["actionParameter"]["failoverParameter"] == {
        "failoverNamespaces": ["ns2"],
        "migrationScheduleReference": "s",
        "skipSourceOperations": False,
    }
    out = dst.ok("perform", "failback", "-m", "s", "--include-namespaces", "ns2", "-n", namespace)
    params = action(clusters, namespace, _check_started(out, "failback", namespace, "s"))["spec"]
    assert params["actionParameter"] == {
        "failbackParameter": {"failbackNamespaces": ["ns2"], "migrationScheduleReference": "s"}
    }
    out = dst.ok("perform", "drill", "-m", "s", "--suffix", "rehearsal", "--keep",
                 "--timeout", "2m", "-n", namespace)  # fmt: skip
    params = action(clusters, namespace, _check_started(out, "drill", namespace, "s"))["spec"]
    assert params["actionParameter"]["drillParameter"] == {
        "drillNamespaces": [namespace, "ns2"],
        "migrationScheduleReference": "s",
        "suffix": "rehearsal",
        "keep": True,
        "timeoutSeconds": 120,
    }
    listed = dst.ok("get", "failback", "-n", namespace).splitlines()
    assert listed[0].split() == ["NAME", "CREATED", "STAGE", "STATUS", "MORE", "INFO"]
    assert len(listed) == 2
    assert listed[1].startswith("failback-s-")


def test_drill_options_are_checked(clusters: Clusters, dst: Storkctl, namespace: str) -> None:
    make_schedule(clusters.destination, namespace, "s", [namespace], static=True)
    assert refused(dst, "perform", "drill", "-m", "s", "--suffix", "Bad_", "-n", namespace) == (
        "error: invalid --suffix 'Bad_': lower-case letters, digits and '-', starting and ending "
        "with a letter or digit"
    )
    assert refused(dst, "perform", "drill", "-m", "s", "--timeout", "soon", "-n", namespace) == (
        'error: invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"'
    )
    assert refused(dst, "perform", "drill", "-m", "s", "--timeout", "2h", "-n", namespace) == (
        "error: --timeout must be between 1s and 60m"
    )
    assert dst.ok("get", "drill", "-n", namespace) == "No resources found.\n"


def test_an_action_may_only_reach_its_own_namespace(
    clusters: Clusters,
    dst: Storkctl,
    namespace: str,
    start_controller: Callable[..., RunningController],
) -> None:
    """A tenant's static copy naming another namespace makes the controller refuse the Action
    before it touches anything (the admin namespace alone may act on several)."""
    make_schedule(clusters.destination, namespace, "s", [namespace, "kube-system"], static=True)
    start_controller("--kubeconfig", str(clusters.kubeconfig("destination")), "--no-leader-elect")
    out = dst.ok("perform", "failover", "-m", "s", "--skip-source-operations", "-n", namespace)
    name = _check_started(out, "failover", namespace, "s")

    def final() -> dict[str, Any] | None:
        status = action(clusters, namespace, name).get("status") or {}
        return status if status.get("stage") == "Final" else None

    status = wait_for(final, 60, "the action to end")
    assert status["status"] == "Failed"
    assert status["reason"] == "the Action's namespaces should only contain the current namespace"
    assert "summary" not in status
