"""`storkctl generate|create|get|delete clusterpair` between the real sandbox clusters."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from lightkube import ApiError, Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from stork.api.timestamps import parse_time
from stork.cli.output import rfc822
from stork.kube.http import server_version
from stork.kube.pairconfig import pair_client_config
from stork.kube.resources import ClusterPairResource
from tests.integration.conftest import Clusters
from tests.waiting import wait_for

KUBECTL = str(Path(sys.executable).parent / "kubectl")
ZONE = "America/Los_Angeles"
SECRET = "tok-0b5e1d-never-print-me"
NOT_FOUND = 'Error from server (NotFound): clusterpairs.stork.libopenstorage.org "{}" not found'


def storkctl(*args: str, kubeconfig: Path | None = None) -> subprocess.CompletedProcess[str]:
    """storkctl as a user runs it (its own process), in a fixed local time zone."""
    env = {**os.environ, "TZ": ZONE}
    env.pop("KUBECONFIG", None)
    if kubeconfig:
        env["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run(
        [sys.executable, "-m", "stork.cli.storkctl_main", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def kubectl(*args: str, kubeconfig: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return subprocess.run([KUBECTL, *args], capture_output=True, text=True, env=env, check=False)


def get_pair(client: Client, name: str, namespace: str) -> dict[str, Any] | None:
    try:
        return dict(client.get(ClusterPairResource, name, namespace=namespace))
    except ApiError as e:
        if e.status.code == 404:
            return None
        raise


def make_pair(client: Client, name: str, namespace: str) -> dict[str, Any]:
    body = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"config": {}, "options": {}},
    }
    return dict(client.create(ClusterPairResource.from_dict(body)))


@pytest.fixture
def fresh_namespace(clusters: Clusters) -> Iterator[str]:
    """A namespace name that exists on neither cluster; removed from both afterwards."""
    name = f"pair-{uuid.uuid4().hex[:8]}"
    yield name
    for client in (clusters.source, clusters.destination):
        with contextlib.suppress(ApiError):
            client.delete(Namespace, name)


def kubeconfig_with_files(clusters: Clusters, cluster: str, directory: Path) -> Path:
    """A kubeconfig of the cluster that refers to certificate and key FILES."""
    creds = clusters.sandbox.credentials(cluster)
    (directory / "ca.crt").write_bytes(creds.ca_pem)
    (directory / "admin.crt").write_bytes(creds.client_cert_pem)
    (directory / "admin.key").write_bytes(creds.client_key_pem)
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "dst",
        "clusters": [
            {"name": "dst", "cluster": {"server": creds.server, "certificate-authority": "ca.crt"}},
        ],
        "users": [
            {
                "name": "admin",
                "user": {"client-certificate": "admin.crt", "client-key": "admin.key"},
            }
        ],
        "contexts": [{"name": "dst", "context": {"cluster": "dst", "user": "admin"}}],
    }
    path = directory / "kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_generate_on_destination_then_kubectl_create_on_source(
    clusters: Clusters, namespace: str, tmp_path: Path
) -> None:
    destination = kubeconfig_with_files(clusters, "destination", tmp_path)
    generated = storkctl(
        "generate",
        "clusterpair",
        "-n",
        namespace,
        "remotecluster",
        "--project-mappings",
        "p-a=p-b",
        kubeconfig=destination,
    )
    assert generated.returncode == 0, generated.stderr
    assert generated.stderr == ""
    doc = yaml.safe_load(generated.stdout)
    assert doc["metadata"] == {
        "creationTimestamp": None,
        "name": "remotecluster",
        "namespace": namespace,
    }
    assert doc["spec"]["options"] == {"insert_storage_options_here": ""}
    assert doc["spec"]["platformOptions"] == {"rancher": {"projectMappings": {"p-a": "p-b"}}}
    assert doc["status"] == {"remoteStorageId": "", "schedulerStatus": "", "storageStatus": ""}
    user = doc["spec"]["config"]["users"]["admin"]
    creds = clusters.sandbox.credentials("destination")
    assert set(user) == {"LocationOfOrigin", "client-certificate-data", "client-key-data"}
    assert doc["spec"]["config"]["clusters"]["dst"]["server"] == creds.server

    saved = tmp_path / "clusterpair.yaml"
    saved.write_text(generated.stdout)
    created = kubectl("create", "-f", str(saved), kubeconfig=clusters.kubeconfig("source"))
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == ("clusterpair.stork.libopenstorage.org/remotecluster created")

    pair = get_pair(clusters.source, "remotecluster", namespace)
    assert pair is not None
    assert pair["spec"]["config"] == doc["spec"]["config"]
    config = pair_client_config(pair["spec"]["config"])
    assert config.cluster.server == creds.server
    assert server_version(config)["gitVersion"].startswith("v1.")


def test_get_table_json_yaml_and_all_namespaces(
    clusters: Clusters, namespace: str, fresh_namespace: str
) -> None:
    source = clusters.kubeconfig("source")
    clusters.source.create(Namespace(metadata=ObjectMeta(name=fresh_namespace)))
    first = make_pair(clusters.source, "alpha", namespace)
    make_pair(clusters.source, "beta", namespace)
    make_pair(clusters.source, "gamma", fresh_namespace)
    created = rfc822(parse_time(first["metadata"]["creationTimestamp"]), ZoneInfo(ZONE))
    assert created.endswith(("PST", "PDT"))

    table = storkctl("get", "clusterpair", "-n", namespace, kubeconfig=source)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "NAME    STORAGE-STATUS   SCHEDULER-STATUS   CREATED"
    assert lines[1].startswith("alpha                                     ")
    assert lines[1].endswith(created)
    assert [line.split()[0] for line in lines[1:]] == ["alpha", "beta"]

    # the global flags before the sub-command, and the alias
    root = storkctl("-n", namespace, "--kubeconfig", str(source), "get", "cp", "beta")
    assert root.stdout.splitlines()[1].split()[0] == "beta"

    wide = storkctl("get", "clusterpairs", "--all-namespaces", kubeconfig=source)
    rows = [line.split()[:2] for line in wide.stdout.splitlines()]
    assert rows[0] == ["NAMESPACE", "NAME"]
    assert [namespace, "alpha"] in rows
    assert [fresh_namespace, "gamma"] in rows
    assert rows.index([namespace, "alpha"]) < rows.index([namespace, "beta"])

    one = storkctl("get", "cp", "alpha", "-n", namespace, "-o", "json", kubeconfig=source)
    obj = json.loads(one.stdout)
    assert obj["metadata"]["name"] == "alpha"
    assert "managedFields" not in obj["metadata"]
    assert one.stdout.startswith('{\n    "apiVersion": "stork.libopenstorage.org/v1alpha1",\n')

    several = storkctl("-o", "yaml", "get", "cp", "-n", namespace, kubeconfig=source)
    listed = yaml.safe_load(several.stdout)
    assert listed["kind"] == "List"
    assert listed["metadata"] == {"resourceVersion": ""}
    assert [i["metadata"]["name"] for i in listed["items"]] == ["alpha", "beta"]
    assert several.stdout.startswith("apiVersion: v1\nitems:\n- apiVersion: stork")

    empty_ns = f"empty-{uuid.uuid4().hex[:6]}"
    empty = storkctl("get", "clusterpair", "-n", empty_ns, kubeconfig=source)
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, "No resources found.\n", "")
    empty_json = storkctl("get", "clusterpair", "-n", empty_ns, "-o", "json", kubeconfig=source)
    assert json.loads(empty_json.stdout)["items"] == []


def test_get_not_found_as_kubectl(clusters: Clusters, namespace: str) -> None:
    source = clusters.kubeconfig("source")
    missing = storkctl("get", "clusterpair", "nope", "-n", namespace, kubeconfig=source)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == NOT_FOUND.format("nope") + "\n"

    make_pair(clusters.source, "here", namespace)
    mixed = storkctl("get", "clusterpair", "here", "gone", "-n", namespace, kubeconfig=source)
    assert mixed.returncode == 1
    assert mixed.stdout.splitlines()[1].split()[0] == "here"
    assert mixed.stderr == NOT_FOUND.format("gone") + "\n"

    across = storkctl("get", "cp", "here", "gone", "--all-namespaces", kubeconfig=source)
    assert across.returncode == 1
    assert across.stdout.splitlines()[1].split()[:2] == [namespace, "here"]
    assert across.stderr == NOT_FOUND.format("gone") + "\n"


def test_delete_each_name(clusters: Clusters, namespace: str) -> None:
    source = clusters.kubeconfig("source")
    make_pair(clusters.source, "one", namespace)
    make_pair(clusters.source, "two", namespace)
    result = storkctl(
        "delete", "clusterpair", "one", "missing", "two", "-n", namespace, kubeconfig=source
    )
    assert result.returncode == 1
    assert result.stdout == (
        "ClusterPair one deleted successfully\nClusterPair two deleted successfully\n"
    )
    assert result.stderr == NOT_FOUND.format("missing") + "\n"
    wait_for(
        lambda: (
            get_pair(clusters.source, "one", namespace) is None
            and get_pair(clusters.source, "two", namespace) is None
        ),
        timeout=10,
        what="both pairs deleted",
    )
    nothing = storkctl("delete", "cp", kubeconfig=source)
    assert nothing.returncode == 1
    assert nothing.stderr == (
        "error: at least one argument needs to be provided for clusterpair name\n"
    )


def create_args(clusters: Clusters, namespace: str, *extra: str) -> list[str]:
    return [
        "create",
        "clusterpair",
        "dr",
        "-n",
        namespace,
        "--src-kube-file",
        str(clusters.kubeconfig("source")),
        "--dest-kube-file",
        str(clusters.kubeconfig("destination")),
        *extra,
    ]


def test_create_both_directions_with_reversed_mappings(
    clusters: Clusters, fresh_namespace: str
) -> None:
    ns = fresh_namespace
    args = create_args(clusters, ns, "--mode", "sync-dr", "--project-mappings", "p-src = p-dst")
    result = storkctl(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "ClusterPair dr created successfully. Direction Source -> Destination\n\n"
        "Cluster pair dr created successfully. Direction: Destination -> Source\n"
    )
    forward = get_pair(clusters.source, "dr", ns)
    reverse = get_pair(clusters.destination, "dr", ns)
    assert forward is not None
    assert reverse is not None
    assert forward["spec"]["options"] == {}
    assert reverse["spec"]["options"] == {}
    assert forward["spec"]["platformOptions"] == {
        "rancher": {"projectMappings": {"p-src": "p-dst"}}
    }
    assert reverse["spec"]["platformOptions"] == {
        "rancher": {"projectMappings": {"p-dst": "p-src"}}
    }
    to_destination = pair_client_config(forward["spec"]["config"])
    to_source = pair_client_config(reverse["spec"]["config"])
    assert to_destination.cluster.server == clusters.sandbox.credentials("destination").server
    assert to_source.cluster.server == clusters.sandbox.credentials("source").server
    assert server_version(to_destination)["gitVersion"].startswith("v1.")
    assert server_version(to_source)["gitVersion"].startswith("v1.")
    origins = {c["LocationOfOrigin"] for c in forward["spec"]["config"]["clusters"].values()}
    assert origins == {str(clusters.kubeconfig("destination"))}

    # the same pair again: a clear error, and nothing touched
    again = storkctl(*args)
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr == (
        f"error: ClusterPair dr already exists in namespace {ns} of the source cluster "
        f"({clusters.kubeconfig('source')}); nothing was created\n"
    )
    still = get_pair(clusters.source, "dr", ns)
    assert still is not None
    assert still["metadata"]["resourceVersion"] == forward["metadata"]["resourceVersion"]


def test_create_unidirectional(clusters: Clusters, fresh_namespace: str) -> None:
    result = storkctl(*create_args(clusters, fresh_namespace, "--mode", "sync-dr", "-u"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "ClusterPair dr created successfully. Direction Source -> Destination\n\n"
    )
    assert get_pair(clusters.source, "dr", fresh_namespace) is not None
    with pytest.raises(ApiError) as e:
        clusters.destination.get(Namespace, fresh_namespace)
    assert e.value.status.code == 404


def test_create_refuses_storage_modes(clusters: Clusters, fresh_namespace: str) -> None:
    for extra in ((), ("--mode", "async-dr"), ("--mode", "migration")):
        result = storkctl(*create_args(clusters, fresh_namespace, *extra))
        assert result.returncode == 1
        assert "sync-dr" in result.stderr
        assert "storage driver" in result.stderr
        assert "Traceback" not in result.stderr
    assert get_pair(clusters.source, "dr", fresh_namespace) is None


def test_create_is_undone_when_the_reverse_pair_fails(clusters: Clusters, namespace: str) -> None:
    # the destination's namespace is terminating (held by a finalizer): creating there fails
    held = Namespace(metadata=ObjectMeta(name=namespace, finalizers=["test.stork/hold"]))
    clusters.destination.create(held)
    clusters.destination.delete(Namespace, namespace)
    try:
        result = storkctl(*create_args(clusters, namespace, "--mode", "sync-dr"))
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.startswith("Error from server (Forbidden): ")
        assert "being terminated" in result.stderr
        assert result.stderr.endswith(
            "(nothing was left behind: what this command had created was removed again)\n"
        )
        wait_for(
            lambda: get_pair(clusters.source, "dr", namespace) is None,
            timeout=10,
            what="the source pair removed again",
        )
        assert clusters.source.get(Namespace, namespace).metadata.deletionTimestamp is None
    finally:
        clusters.destination.patch(Namespace, namespace, {"metadata": {"finalizers": []}})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_destination_creates_nothing(
    clusters: Clusters, namespace: str, tmp_path: Path
) -> None:
    dead = tmp_path / "dead.kubeconfig"
    dead.write_text(
        yaml.safe_dump(
            {
                "current-context": "dead",
                "clusters": [
                    {
                        "name": "dead",
                        "cluster": {
                            "server": f"https://127.0.0.1:{free_port()}",
                            "insecure-skip-tls-verify": True,
                        },
                    }
                ],
                "users": [{"name": "u", "user": {"token": SECRET}}],
                "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}],
            }
        )
    )
    result = storkctl(
        "create",
        "clusterpair",
        "dr",
        "-n",
        namespace,
        "--mode",
        "sync-dr",
        "--src-kube-file",
        str(clusters.kubeconfig("source")),
        "--dest-kube-file",
        str(dead),
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot reach the destination cluster ({dead}): ")
    assert SECRET not in result.stderr
    assert get_pair(clusters.source, "dr", namespace) is None


def test_wrong_credentials_are_not_printed(clusters: Clusters, tmp_path: Path) -> None:
    creds = clusters.sandbox.credentials("source")
    bad = tmp_path / "bad.kubeconfig"
    bad.write_text(
        yaml.safe_dump(
            {
                "current-context": "s",
                "clusters": [
                    {
                        "name": "s",
                        "cluster": {"server": creds.server, "insecure-skip-tls-verify": True},
                    }
                ],
                "users": [{"name": "u", "user": {"token": SECRET}}],
                "contexts": [{"name": "s", "context": {"cluster": "s", "user": "u"}}],
            }
        )
    )
    result = storkctl("get", "clusterpair", kubeconfig=bad)
    assert result.returncode == 1
    assert result.stderr == "Error from server (Unauthorized): Unauthorized\n"
    assert SECRET not in result.stdout + result.stderr
