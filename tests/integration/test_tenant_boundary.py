"""The tenant boundary, tried as a hostile tenant would: a real restricted user who may write
Stork's objects in one namespace only, and a controller that must not reach past it.

The user is a ServiceAccount with a Role on Stork's kinds in its namespace; every object below
is created with its token, never with the admin's credentials (except the victim's namespace
and the Secrets a tenant would need someone else to make).
"""

from __future__ import annotations

import base64
import copy
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError, Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Event, Namespace, Secret
from lightkube.resources.rbac_authorization_v1 import Role, RoleBinding

from stork.api.constants import PAIR_SECRET_TYPE
from stork.kube.config import make_client
from stork.kube.resources import ClusterPairResource, MigrationResource, RuleResource
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_least_privilege import token_kubeconfig
from tests.integration.test_migration import kubectl
from tests.waiting import wait_for

NOT_CONFINED = "migration namespaces should only contain the current namespace"


@dataclass
class Listener:
    """A loopback TCP listener that counts every connection made to it (none may come)."""

    sock: socket.socket
    connections: list[tuple[str, int]] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def serve(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.connections.append(peer)
            conn.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = Listener(sock)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield server
    sock.close()
    thread.join(5)


@dataclass(frozen=True)
class Tenant:
    namespace: str
    victim: str
    client: Client


@pytest.fixture
def tenant(clusters: Clusters, tmp_path: Path) -> Iterator[Tenant]:
    """A tenant namespace with a restricted user, and a victim namespace with a Secret."""
    suffix = uuid.uuid4().hex[:8]
    ns, victim = f"tenant-{suffix}", f"victim-{suffix}"
    admin = clusters.source
    admin.create(Namespace(metadata=ObjectMeta(name=ns)))
    admin.create(Namespace(metadata=ObjectMeta(name=victim, labels={"team": victim})))
    admin.create(
        Secret(metadata=ObjectMeta(name="crown-jewels", namespace=victim), stringData={"k": "v"})
    )
    kubectl(clusters.kubeconfig("source"), "create", "serviceaccount", "user", "-n", ns)
    admin.create(
        Role.from_dict(
            {
                "metadata": {"name": "stork-user", "namespace": ns},
                "rules": [
                    {
                        "apiGroups": ["stork.libopenstorage.org"],
                        "resources": ["*"],
                        "verbs": ["*"],
                    }
                ],
            }
        )
    )
    admin.create(
        RoleBinding.from_dict(
            {
                "metadata": {"name": "stork-user", "namespace": ns},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "stork-user",
                },
                "subjects": [{"kind": "ServiceAccount", "name": "user", "namespace": ns}],
            }
        )
    )
    token = kubectl(
        clusters.kubeconfig("source"), "create", "token", "user", "-n", ns, "--duration", "1h"
    ).strip()
    creds = clusters.sandbox.credentials("source")
    path = tmp_path / "tenant.kubeconfig"
    path.write_text(yaml.safe_dump(token_kubeconfig(creds.server, creds.ca_pem, token, "t")))
    client = make_client(path)
    # The user really is restricted: no Secrets, nothing in the victim's namespace.
    for probe in (
        lambda: client.list(Secret, namespace=ns),
        lambda: client.list(ClusterPairResource, namespace=victim),
    ):
        with pytest.raises(ApiError) as refused:
            list(probe())
        assert refused.value.status.code == 403
    try:
        yield Tenant(ns, victim, client)
    finally:
        client.close()
        for name in (ns, victim):
            for c in (clusters.source, clusters.destination):
                try:
                    c.delete(Namespace, name)
                except ApiError as e:
                    if e.status.code != 404:
                        raise


def destination_config(clusters: Clusters) -> dict[str, Any]:
    """The destination's admin kubeconfig in the v1 layout (what a tenant would paste)."""
    d = clusters.sandbox.credentials("destination")
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "dst",
        "clusters": [
            {
                "name": "dst",
                "cluster": {
                    "server": d.server,
                    "certificate-authority-data": base64.b64encode(d.ca_pem).decode(),
                },
            }
        ],
        "users": [
            {
                "name": "dst",
                "user": {
                    "client-certificate-data": base64.b64encode(d.client_cert_pem).decode(),
                    "client-key-data": base64.b64encode(d.client_key_pem).decode(),
                },
            }
        ],
        "contexts": [{"name": "dst", "context": {"cluster": "dst", "user": "dst"}}],
    }


def create_pair(tenant: Tenant, name: str, spec: dict[str, Any]) -> None:
    tenant.client.create(
        ClusterPairResource.from_dict(
            {"metadata": {"name": name, "namespace": tenant.namespace}, "spec": spec}
        )
    )


def pair_status(clusters: Clusters, ns: str, name: str) -> dict[str, Any]:
    return dict(clusters.source.get(ClusterPairResource, name, namespace=ns).get("status") or {})


def condition(status: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in status.get("conditions") or [] if c["type"] == type_), {})


def events(clusters: Clusters, ns: str, name: str) -> list[tuple[str, str, str]]:
    return [
        (e.type or "", e.reason or "", e.message or "")
        for e in clusters.source.list(Event, namespace=ns)
        if e.involvedObject.name == name
    ]


def migration(clusters: Clusters, ns: str, name: str) -> dict[str, Any]:
    return dict(clusters.source.get(MigrationResource, name, namespace=ns))


def create_migration(client: Client, ns: str, name: str, **spec: Any) -> None:
    client.create(
        MigrationResource.from_dict(
            {
                "metadata": {"name": name, "namespace": ns},
                "spec": {"clusterPair": "remote", "namespaces": [ns], **spec},
            }
        )
    )


def destination_has(clusters: Clusters, ns: str) -> bool:
    try:
        clusters.destination.get(Namespace, ns)
    except ApiError as e:
        if e.status.code == 404:
            return False
        raise
    return True


def test_a_selector_cannot_reach_another_namespace_nor_its_pods(
    clusters: Clusters, tenant: Tenant, controller: RunningController
) -> None:
    ns = tenant.namespace
    create_pair(tenant, "remote", {"config": destination_config(clusters)})
    wait_for(
        lambda: pair_status(clusters, ns, "remote").get("schedulerStatus") == "Ready",
        30,
        "the tenant's pair to be Ready",
    )
    tenant.client.create(
        RuleResource.from_dict(
            {
                "metadata": {"name": "everywhere", "namespace": ns},
                "rules": [
                    {
                        "podSelector": {"app": "db"},
                        "actions": [{"type": "command", "value": "cat /etc/shadow"}],
                    }
                ],
            }
        )
    )
    escape = {"namespaceSelectors": {"team": tenant.victim}}
    create_migration(tenant.client, ns, "escape", **escape)
    create_migration(tenant.client, ns, "escape-rule", preExecRule="everywhere", **escape)
    for name in ("escape", "escape-rule"):
        done = wait_for(
            lambda name=name: (
                (migration(clusters, ns, name).get("status") or {}).get("stage") == "Final"
            ),
            60,
            f"{name} to end",
        )
        assert done
        status = migration(clusters, ns, name)["status"]
        assert status["status"] == "Failed"
        assert not status.get("resources")
        assert condition(status, "Complete")["message"] == NOT_CONFINED
        wait_for(
            lambda name=name: ("Warning", "Failed", NOT_CONFINED) in events(clusters, ns, name),
            10,
            f"the Warning of {name}",
        )
    # Nothing of either namespace reached the destination, and no rule stage ever began.
    assert not destination_has(clusters, tenant.victim)
    assert not destination_has(clusters, ns)
    assert not any("PreExecRule" in e[2] for e in events(clusters, ns, "escape-rule"))
    # The same tenant, confined to its own namespace, migrates fine.
    create_migration(tenant.client, ns, "own")
    wait_for(
        lambda: (migration(clusters, ns, "own").get("status") or {}).get("status") == "Successful",
        60,
        "the confined migration to succeed",
    )
    assert destination_has(clusters, ns)
    assert not destination_has(clusters, tenant.victim)


def refused_configs(
    clusters: Clusters, listener: Listener, marker: Path, readable: Path
) -> dict[str, tuple[dict[str, Any], str]]:
    """Pair configs the controller must refuse, each pointing at the counting listener."""
    base = destination_config(clusters)
    base["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{listener.port}"

    def variant(cluster: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        doc = copy.deepcopy(base)
        doc["clusters"][0]["cluster"].update(cluster)
        doc["users"][0]["user"] = user
        return doc

    exec_plugin = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "/bin/sh",
        "args": ["-c", f"touch {marker}; echo '{{}}'"],
    }
    return {
        "exec": (variant({}, {"exec": exec_plugin}), 'spec.config.users["dst"].exec'),
        "tokenfile": (variant({}, {"tokenFile": str(readable)}), ".tokenFile"),
        "clientkey": (
            variant({}, {"client-certificate": str(readable), "client-key": str(readable)}),
            ".client-certificate",
        ),
        "cafile": (
            variant({"certificate-authority": str(readable)}, {"token": "t"}),
            ".certificate-authority",
        ),
        "http": (
            variant({"server": f"http://127.0.0.1:{listener.port}"}, {"token": "t"}),
            'clusters["dst"].server',
        ),
    }


def test_pairs_cannot_run_read_or_send_in_clear(
    clusters: Clusters,
    tenant: Tenant,
    controller: RunningController,
    listener: Listener,
    tmp_path: Path,
) -> None:
    ns = tenant.namespace
    marker = tmp_path / "exec-ran"
    readable = tmp_path / "controller-file"
    readable.write_text("a-token-of-the-controller\n")
    cases = refused_configs(clusters, listener, marker, readable)
    for name, (config, _) in cases.items():
        create_pair(tenant, name, {"config": config})
    for name, (_, field_name) in cases.items():
        wait_for(
            lambda name=name: pair_status(clusters, ns, name).get("schedulerStatus") == "Error",
            30,
            f"pair {name} to be Error",
        )
        ready = condition(pair_status(clusters, ns, name), "SchedulerReady")
        assert ready["reason"] == "Refused", (name, ready)
        assert field_name in ready["message"], (name, ready)
        warnings = wait_for(
            lambda name=name: [e for e in events(clusters, ns, name) if e[0] == "Warning"],
            10,
            f"the Warning of {name}",
        )
        assert any(field_name in e[2] for e in warnings), warnings
    assert not marker.exists()
    assert listener.connections == []
    assert "a-token-of-the-controller" not in controller.output()


def test_an_insecure_pair_is_ready_and_says_so(
    clusters: Clusters, tenant: Tenant, controller: RunningController
) -> None:
    ns = tenant.namespace
    config = destination_config(clusters)
    cluster = config["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["insecure-skip-tls-verify"] = True
    create_pair(tenant, "insecure", {"config": config})
    wait_for(
        lambda: pair_status(clusters, ns, "insecure").get("schedulerStatus") == "Ready",
        30,
        "the insecure pair to be Ready",
    )
    insecure = condition(pair_status(clusters, ns, "insecure"), "InsecureTransport")
    assert (insecure["status"], insecure["reason"]) == ("True", "SkipTLSVerify")
    warnings = wait_for(
        lambda: [e for e in events(clusters, ns, "insecure") if e[1] == "InsecureTransport"],
        10,
        "the InsecureTransport event",
    )
    assert warnings[0][0] == "Warning"
    create_pair(tenant, "verified", {"config": destination_config(clusters)})
    wait_for(
        lambda: (
            condition(pair_status(clusters, ns, "verified"), "InsecureTransport").get("status")
            == "False"
        ),
        30,
        "the verified pair's condition",
    )


def pair_secret(ns: str, config: dict[str, Any], type_: str = PAIR_SECRET_TYPE) -> Secret:
    return Secret(
        metadata=ObjectMeta(name="dst-credentials", namespace=ns),
        type=type_,
        stringData={"kubeconfig": yaml.safe_dump(config)},
    )


def test_a_pair_reads_its_credentials_from_a_secret_and_follows_rotation(
    clusters: Clusters, tenant: Tenant, start_controller: Any
) -> None:
    ns = tenant.namespace
    start_controller("--pair-check-interval", "3")
    good = destination_config(clusters)
    clusters.source.create(pair_secret(ns, good))  # made by someone who may write Secrets
    create_pair(tenant, "by-ref", {"configSecretRef": {"name": "dst-credentials"}})
    wait_for(
        lambda: pair_status(clusters, ns, "by-ref").get("schedulerStatus") == "Ready",
        30,
        "the Secret-referenced pair to be Ready",
    )
    wrong = copy.deepcopy(good)
    wrong["users"][0]["user"] = {"token": "not-a-valid-token"}
    clusters.source.patch(
        Secret,
        "dst-credentials",
        {"stringData": {"kubeconfig": yaml.safe_dump(wrong)}},
        namespace=ns,
    )
    wait_for(
        lambda: pair_status(clusters, ns, "by-ref").get("schedulerStatus") == "Error",
        6,
        "the rotated (wrong) credentials to turn the pair Error within the check interval",
    )
    assert condition(pair_status(clusters, ns, "by-ref"), "SchedulerReady")["reason"] == (
        "Unauthorized"
    )
    clusters.source.patch(
        Secret,
        "dst-credentials",
        {"stringData": {"kubeconfig": yaml.safe_dump(good)}},
        namespace=ns,
    )
    wait_for(
        lambda: pair_status(clusters, ns, "by-ref").get("schedulerStatus") == "Ready",
        6,
        "the pair to be Ready again",
    )
    # A Secret that was not made for pairs is never used, and its content is not shown.
    clusters.source.create(
        Secret(
            metadata=ObjectMeta(name="opaque", namespace=ns),
            stringData={"kubeconfig": yaml.safe_dump(good)},
        )
    )
    create_pair(tenant, "borrow", {"configSecretRef": {"name": "opaque"}})
    wait_for(
        lambda: pair_status(clusters, ns, "borrow").get("schedulerStatus") == "Error",
        30,
        "the pair borrowing an Opaque Secret to be Error",
    )
    message = condition(pair_status(clusters, ns, "borrow"), "SchedulerReady")["message"]
    assert 'Secret "opaque" has type "Opaque"' in message


def test_the_admin_namespace_may_still_migrate_several(
    clusters: Clusters, tenant: Tenant, start_controller: Any
) -> None:
    admin_ns = f"admin-{uuid.uuid4().hex[:6]}"
    clusters.source.create(Namespace(metadata=ObjectMeta(name=admin_ns)))
    try:
        start_controller("--pair-check-interval", "1", "--admin-namespace", admin_ns)
        pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
        pair["metadata"] = {"name": "remote", "namespace": admin_ns}
        pair.pop("status", None)
        clusters.source.create(ClusterPairResource.from_dict(pair))
        create_migration(
            clusters.source,
            admin_ns,
            "several",
            namespaces=[tenant.namespace],
            namespaceSelectors={"team": tenant.victim},
        )
        wait_for(
            lambda: (
                (migration(clusters, admin_ns, "several").get("status") or {}).get("status")
                == "Successful"
            ),
            60,
            "the admin namespace's migration of two namespaces",
        )
        assert destination_has(clusters, tenant.namespace)
        assert destination_has(clusters, tenant.victim)
    finally:
        clusters.source.delete(Namespace, admin_ns)
