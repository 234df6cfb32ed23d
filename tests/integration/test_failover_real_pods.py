"""A failover for real (sandbox with nodes): an application Running on the source, a migration,
the source stopped, `storkctl activate migrations` on the destination: its pods Running and
Ready there, serving the migrated content over the pod network; `deactivate` scales back to 0.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable

from lightkube.resources.apps_v1 import Deployment, StatefulSet
from lightkube.resources.batch_v1 import CronJob
from lightkube.resources.core_v1 import Pod

from stork.sandbox.images import BUSYBOX_IMAGE
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_migration import kubectl, run_migration
from tests.integration.test_nodes import pod_exec, ready_pods, wait_ready
from tests.integration.test_rules_in_containers import make_pair
from tests.waiting import wait_for

APP = """
apiVersion: v1
kind: ConfigMap
metadata: {name: web-content}
data: {index.html: "CONTENT\\n"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: IMAGE
        imagePullPolicy: Never
        command: [httpd, -f, -p, "8080", -h, /www]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /index.html, port: 8080}, periodSeconds: 1}
        volumeMounts: [{name: content, mountPath: /www}]
      volumes: [{name: content, configMap: {name: web-content}}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: db, image: IMAGE, imagePullPolicy: Never, command: [sleep, "3600"]}
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
          containers:
          - {name: tick, image: IMAGE, imagePullPolicy: Never, command: [date]}
""".replace("IMAGE", BUSYBOX_IMAGE)


def storkctl(clusters: Clusters, *args: str) -> list[str]:
    """storkctl on the destination; its output lines."""
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-m", "stork.cli.storkctl_main", *args,
             "--kubeconfig", str(clusters.kubeconfig("destination"))],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        # A loaded apiserver's watch cache may answer 429 "storage is (re)initializing" for a
        # moment; storkctl does not retry it yet (activation is idempotent: run it again).
        if "TooManyRequests" not in done.stderr:
            break
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_activation_brings_the_application_up_on_the_destination_serving_its_content(
    node_clusters: Clusters,
    node_namespace: str,
    start_node_controller: Callable[..., RunningController],
) -> None:
    ns, src, dst = node_namespace, node_clusters.source, node_clusters.destination
    make_pair(node_clusters, ns)
    content = f"served by the migrated app {uuid.uuid4().hex[:8]}"
    kubectl(node_clusters.kubeconfig("source"), "apply", "-n", ns, "-f", "-",
            stdin=APP.replace("CONTENT", content))  # fmt: skip
    wait_ready(src, ns, 3, {"app": "web"})
    wait_ready(src, ns, 1, {"app": "db"})

    controller = start_node_controller("--pair-check-interval", "1")
    result = run_migration(node_clusters, ns, "failover")
    assert result["status"] == "Successful", result
    controller.stop()
    assert dst.get(Deployment, "web", namespace=ns).spec.replicas == 0  # type: ignore[union-attr]
    assert dst.get(StatefulSet, "db", namespace=ns).spec.replicas == 0  # type: ignore[union-attr]
    assert dst.get(CronJob, "tick", namespace=ns).spec.suspend is True  # type: ignore[union-attr]
    assert not list(dst.list(Pod, namespace=ns))

    node_clusters.sandbox.stop("source")
    try:
        started = time.monotonic()
        out = storkctl(node_clusters, "activate", "migrations", "-n", ns)
        assert f"Updated replicas for deployment {ns}/web to 3" in out
        assert f"Updated replicas for statefulset {ns}/db to 1" in out
        web = wait_ready(dst, ns, 3, {"app": "web"})
        wait_ready(dst, ns, 1, {"app": "db"})
        print(f"activate to all pods Ready: {time.monotonic() - started:.1f}s")
        assert dst.get(CronJob, "tick", namespace=ns).spec.suspend is False  # type: ignore[union-attr]

        # one pod asks another for the migrated ConfigMap's content, over the pod network
        ips = [p.status.podIP for p in web if p.status and p.status.podIP]
        asker = web[0].metadata.name  # type: ignore[union-attr]
        request = f"printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {ips[-1]} 8080"
        answer = pod_exec(node_clusters.kubeconfig("destination"), ns, str(asker), request)
        assert answer.stdout.startswith("HTTP/1.1 200 OK"), answer
        assert answer.stdout.endswith(f"\n\n{content}\n"), answer  # text mode: \r\n read as \n

        out = storkctl(node_clusters, "deactivate", "migrations", "-n", ns)
        assert f"Updated replicas for deployment {ns}/web to 0" in out
        assert dst.get(Deployment, "web", namespace=ns).spec.replicas == 0  # type: ignore[union-attr]
        assert dst.get(StatefulSet, "db", namespace=ns).spec.replicas == 0  # type: ignore[union-attr]
        wait_for(lambda: not list(dst.list(Pod, namespace=ns)), timeout=60, what="no pods left")
        assert not ready_pods(dst, ns)
    finally:
        node_clusters.sandbox.start("source")
