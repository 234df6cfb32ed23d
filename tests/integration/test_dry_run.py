"""Dry-run Migrations (issue 15, item 4): the whole plan, nothing written on the destination.

A namespace with every kind of change (new objects, a changed one, an unchanged one, a
Deployment whose immutable selector changed, one deleted on the source with
purgeDeletedResources, one the destination's admission refuses, a custom resource whose CRD the
destination lacks) is dry-run: the destination API server serves no write but dry-run ones
(``apiserver_request_total``) and its objects keep their resourceVersions; the report says what
the real migration then does, object for object.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lightkube import ApiError, Client
from lightkube.generic_resource import create_global_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Secret

from stork.kube.config import load_config
from stork.kube.http import http_client
from stork.migration import dryrun
from stork.migration.dryrun import Planned, planned
from tests.integration.conftest import Clusters, RunningController
from tests.integration.storkctl_harness import Storkctl
from tests.integration.test_metrics_health import controller_flags, make_pair
from tests.integration.test_migration import create_migration, kubectl, wait_migration
from tests.waiting import wait_for

WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE", "APPLY", "CREATE", "UPDATE"})
#: The resources a migration of this namespace writes (a controller-manager's own writes, such
#: as ReplicaSets, endpoints or leases, are not the migration's).
MIGRATED = frozenset(
    {"namespaces", "configmaps", "secrets", "deployments", "customresourcedefinitions", "widgets"}
)

APP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: same}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: changed}
data: {color: blue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: gone}
data: {b: "2"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: busybox}]}
"""

CHANGES = """
apiVersion: v1
kind: ConfigMap
metadata: {name: changed}
data: {color: red}
---
apiVersion: v1
kind: Secret
metadata: {name: fresh}
stringData: {token: t}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: refused}
data: {c: "3"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web2}}
  template:
    metadata: {labels: {app: web2}}
    spec: {containers: [{name: web, image: busybox}]}
"""


def _crd(group: str) -> str:
    return f"""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: widgets.{group}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget}}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
"""


def _refusal(namespace: str) -> str:
    """A ValidatingAdmissionPolicy of the destination refusing the ConfigMap ``refused``."""
    return f"""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: refuse-{namespace}}}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}}
  validations:
  - expression: "object.metadata.name != 'refused'"
    message: no refused ConfigMaps here
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: refuse-{namespace}}}
spec:
  policyName: refuse-{namespace}
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {{kubernetes.io/metadata.name: {namespace}}}
"""


def destination_writes(clusters: Clusters) -> Counter[tuple[str, str]]:
    """Write requests the destination served to :data:`MIGRATED` resources, by dry-run mode
    ("" or "All") and resource, from its ``apiserver_request_total``."""
    with http_client(load_config(clusters.kubeconfig("destination"))) as http:
        text = http.get("/metrics").text
    total: Counter[tuple[str, str]] = Counter()
    for line in text.splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
        if (
            labels.get("verb") in WRITE_VERBS
            and labels.get("resource") in MIGRATED
            and not labels.get("subresource")
        ):
            key = (labels.get("dry_run", ""), labels["resource"])
            total[key] += int(float(line.rsplit(" ", 1)[1]))
    return total


def real_writes(counts: Counter[tuple[str, str]]) -> int:
    return sum(n for (mode, _), n in counts.items() if not mode)


def quiet_destination(clusters: Clusters, quiet: float = 5.0) -> Counter[tuple[str, str]]:
    """The write counts once nothing has written to those resources for ``quiet`` seconds
    (the destination's controllers are done with what the last migration made: the root CA
    ConfigMap of a new namespace, a Deployment's revision annotation)."""
    last, since = destination_writes(clusters), time.monotonic()

    def settled() -> Counter[tuple[str, str]] | None:
        nonlocal last, since
        now = destination_writes(clusters)
        if real_writes(now) != real_writes(last):
            since = time.monotonic()
        last = now
        return now if time.monotonic() - since >= quiet else None

    return wait_for(settled, 180, "the destination to stop writing")


def versions(client: Client, namespace: str) -> dict[tuple[str, str], str]:
    """resourceVersions of the destination's objects of the migrated kinds in ``namespace``."""
    out = {}
    for kind in (ConfigMap, Secret, Deployment):
        for obj in client.list(kind, namespace=namespace):
            assert obj.metadata is not None
            out[(kind.__name__, str(obj.metadata.name))] = str(obj.metadata.resourceVersion)
    return out


Key = tuple[str, str, str]


def plan_of(status: dict[str, Any]) -> dict[Key, Planned]:
    """What a dry run's ledger says of each object."""
    out = {}
    for r in status.get("resources") or []:
        action = planned(r["reason"])
        assert action is not None, r
        if r["status"] == "Failed":
            assert action == Planned.REFUSED, r
        out[(r["kind"], r["namespace"], r["name"])] = action
    return out


def done_by(status: dict[str, Any], before: set[Key]) -> dict[Key, Planned]:
    """What a real migration's ledger says it did to each object (``before``: what the
    destination had then, which tells a create from an update)."""
    out = {}
    for r in status.get("resources") or []:
        key = (r["kind"], r["namespace"], r["name"])
        reason = r["reason"]
        if r["status"] == "Failed":
            action = Planned.REFUSED
        elif r["status"] == "Purged":
            action = Planned.DELETE
        elif reason.startswith("Resource unchanged"):
            action = Planned.UNCHANGED
        elif reason.startswith("Resource re-created"):
            action = Planned.RECREATE
        else:
            action = Planned.UPDATE if key in before else Planned.CREATE
        out[key] = action
    return out


@pytest.fixture
def group(clusters: Clusters, namespace: str) -> Iterator[str]:
    """A CRD group of this test's own; its CRDs, and the destination's admission policy,
    removed afterwards."""
    name = f"dry{uuid.uuid4().hex[:8]}.example.com"
    yield name
    policy = create_global_resource(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
    )
    binding = create_global_resource(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
    )
    for client in (clusters.source, clusters.destination):
        for kind, obj in (
            (CustomResourceDefinition, f"widgets.{name}"),
            (binding, f"refuse-{namespace}"),
            (policy, f"refuse-{namespace}"),
        ):
            try:
                client.delete(kind, obj)
            except ApiError as e:
                if e.status.code != 404:
                    raise


def _refused_on_destination(clusters: Clusters, namespace: str) -> bool:
    try:
        clusters.destination.create(
            ConfigMap(metadata=ObjectMeta(name="refused")), namespace=namespace, dry_run=True
        )
    except ApiError as e:
        return "no refused ConfigMaps here" in str(e.status.message)
    return False


def test_a_dry_run_writes_nothing_and_says_what_the_migration_then_does(
    clusters: Clusters,
    namespace: str,
    group: str,
    start_controller: Callable[..., RunningController],
) -> None:
    src, dst = clusters.kubeconfig("source"), clusters.kubeconfig("destination")
    kubectl(src, "apply", "-n", namespace, "-f", "-", stdin=APP)
    make_pair(clusters, namespace)
    flags, _, _ = controller_flags(namespace)
    start_controller(*flags)
    create_migration(clusters, namespace, "first")
    assert wait_migration(clusters, namespace, "first", 300)["status"] == "Successful"

    # Every kind of change since: changed, new, deleted (purged), an immutable selector
    # (re-created), a custom resource of a CRD the destination lacks, and a ConfigMap the
    # destination's admission refuses.
    kubectl(src, "delete", "-n", namespace, "deployment/web", "configmap/gone")
    kubectl(src, "apply", "-n", namespace, "-f", "-", stdin=CHANGES)
    kubectl(src, "apply", "-f", "-", stdin=_crd(group))
    kubectl(src, "wait", "--for=condition=Established", f"crd/widgets.{group}")
    widget = f"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w}}\nspec: {{size: 1}}\n"
    kubectl(src, "apply", "-n", namespace, "-f", "-", stdin=widget)
    kubectl(dst, "apply", "-f", "-", stdin=_refusal(namespace))
    wait_for(lambda: _refused_on_destination(clusters, namespace), 60, "the admission policy")

    before = quiet_destination(clusters)
    kept = versions(clusters.destination, namespace)
    create_migration(clusters, namespace, "plan", dryRun=True, purgeDeletedResources=True)
    plan = wait_migration(clusters, namespace, "plan", 300)

    ns = namespace
    expected = {
        ("Namespace", "", ns): Planned.UNCHANGED,
        ("ConfigMap", ns, "same"): Planned.UNCHANGED,
        ("ConfigMap", ns, "changed"): Planned.UPDATE,
        ("ConfigMap", ns, "gone"): Planned.DELETE,
        ("ConfigMap", ns, "refused"): Planned.REFUSED,
        ("Secret", ns, "fresh"): Planned.CREATE,
        ("Deployment", ns, "web"): Planned.RECREATE,
        ("CustomResourceDefinition", "", f"widgets.{group}"): Planned.CREATE,
        ("Widget", ns, "w"): Planned.CREATE,
    }
    planned_actions = plan_of(plan)
    assert {k: planned_actions.get(k) for k in expected} == expected, plan["resources"]
    items = {(r["kind"], r["name"]): r for r in plan["resources"]}
    assert dryrun.CRD_FIRST.format(name=f"widgets.{group}") in items[("Widget", "w")]["reason"]
    assert "no refused ConfigMaps here" in items[("ConfigMap", "refused")]["reason"]
    assert "field is immutable" in items[("Deployment", "web")]["reason"]
    diff = items[("ConfigMap", "changed")]["diff"]
    assert diff.startswith(f"diff -u -N live/v1.ConfigMap.{ns}.changed merged/v1.ConfigMap.")
    assert "-  color: blue\n" in diff
    assert "+  color: red\n" in diff
    assert plan["status"] == "PartialSuccess"  # what the real one will be: one refusal
    assert dryrun.NOTHING_WRITTEN in plan["conditions"][0]["message"]

    # storkctl: Stork's checks, then the report; -o diff the updates' diffs.
    storkctl = Storkctl(src)
    common = ("-n", ns, "-c", "remote", "--namespaces", ns, "--includeVolumes=false", "-a=false")
    table = storkctl("create", "migration", "plan-table", *common, "--dry-run")
    assert table.code == 0, table
    lines = table.stdout.splitlines()
    assert lines[0] == "[Optional] Checking Migration Namespaces....Ok"
    assert "All Ready!!" in lines
    assert lines[-1].startswith("Dry run of migration plan-table: 3 create, 1 update"), "\n".join(
        lines
    )
    # Two lines: the data, and kubectl's last-applied annotation that travels with it.
    assert any(re.match(rf"{ns}\s+configmap/changed\s+update\s+\+2 -2 lines", li) for li in lines)
    assert any(
        re.match(
            rf"\s+customresourcedefinition\.apiextensions\.k8s\.io/widgets\.{group}\s+create", li
        )
        for li in lines
    ), lines
    diffs = storkctl("create", "migration", "plan-diff", *common, "--dry-run", "-o", "diff")
    assert diffs.code == 0, diffs
    assert diffs.stdout == diff
    assert diffs.stderr.startswith("[Optional] Checking Migration Namespaces....Ok")

    after = destination_writes(clusters)
    assert real_writes(after) == real_writes(before), after - before
    assert sum(n for (mode, _), n in (after - before).items() if mode == "All") > 0
    assert versions(clusters.destination, namespace) == kept
    with pytest.raises(ApiError):
        clusters.destination.get(CustomResourceDefinition, f"widgets.{group}")

    # The real migration does what the dry run said, object for object.
    there = {(kind, ns, name) for kind, name in kept} | {("Namespace", "", ns)}
    create_migration(clusters, namespace, "real", purgeDeletedResources=True)
    real = wait_migration(clusters, namespace, "real", 300)
    assert done_by(real, there) == planned_actions, (real["resources"], plan["resources"])
    assert real["status"] == plan["status"]
