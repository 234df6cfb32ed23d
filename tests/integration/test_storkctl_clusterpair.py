"""`storkctl generate|create|get|delete clusterpair` between the real sandbox clusters."""

from __future__ import annotations

import base64
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
from lightkube.resources.core_v1 import Namespace, Secret

from stork.api.timestamps import parse_time
from stork.cli.output import rfc822
from stork.kube.http import server_version
from stork.kube.pairconfig import pair_client_config
from stork.kube.resources import ClusterPairResource
from tests.integration.conftest import Clusters
from tests.integration.storkctl_harness import Storkctl, patch_status, tab
from tests.integration.storkctl_harness import utc as utc  # the fixture
from tests.waiting import wait_for

KUBECTL = str(Path(sys.executable).parent / "kubectl")
ZONE = "America/Los_Angeles"
SECRET = "tok-0b5e1d-never-print-me"
API = "stork.libopenstorage.org/v1alpha1"
NOT_FOUND = 'Error from server (NotFound): clusterpairs.stork.libopenstorage.org "{}" not found'


def storkctl(
    *args: str, kubeconfig: Path | None = None, retry_seconds: str = "30"
) -> subprocess.CompletedProcess[str]:
    """storkctl as a user runs it (its own process), in a fixed local time zone."""
    env = {**os.environ, "TZ": ZONE, "STORK_RETRY_SECONDS": retry_seconds}
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

    # -o json|yaml: a v1 List, as Stork prints it, also for one object
    one = storkctl("get", "cp", "alpha", "-n", namespace, "-o", "json", kubeconfig=source)
    listed = json.loads(one.stdout)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["alpha"]
    assert "managedFields" not in listed["items"][0]["metadata"]
    assert one.stdout.startswith(
        '{\n    "kind": "List",\n    "apiVersion": "v1",\n    "metadata": {},\n    "items": [\n'
        '        {\n            "kind": "ClusterPair",\n'
    )
    several = storkctl("-o", "yaml", "get", "cp", "-n", namespace, kubeconfig=source)
    listed = yaml.safe_load(several.stdout)
    assert (listed["kind"], listed["metadata"]) == ("List", {})
    assert [i["metadata"]["name"] for i in listed["items"]] == ["alpha", "beta"]
    assert listed["items"][0]["status"] == {
        "remoteStorageId": "",
        "schedulerStatus": "",
        "storageStatus": "",
    }
    assert several.stdout.startswith("apiVersion: v1\nitems:\n- apiVersion: stork")

    empty_ns = f"empty-{uuid.uuid4().hex[:6]}"
    for output in ("table", "json", "yaml"):
        empty = storkctl("get", "clusterpair", "-n", empty_ns, "-o", output, kubeconfig=source)
        assert (empty.returncode, empty.stdout, empty.stderr) == (0, "No resources found.\n", "")


def test_get_not_found_as_stork(clusters: Clusters, namespace: str) -> None:
    # Stork's CheckErr: the first name not found is the error, nothing is printed
    source = clusters.kubeconfig("source")
    missing = storkctl("get", "clusterpair", "nope", "-n", namespace, kubeconfig=source)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == NOT_FOUND.format("nope") + "\n"

    make_pair(clusters.source, "here", namespace)
    mixed = storkctl("get", "clusterpair", "here", "gone", "-n", namespace, kubeconfig=source)
    assert (mixed.returncode, mixed.stdout, mixed.stderr) == (
        1,
        "",
        NOT_FOUND.format("gone") + "\n",
    )

    across = storkctl("get", "cp", "here", "gone", "--all-namespaces", kubeconfig=source)
    assert (across.returncode, across.stdout, across.stderr) == (
        1,
        "",
        NOT_FOUND.format("gone") + "\n",
    )
    found = storkctl("get", "cp", "here", "--all-namespaces", kubeconfig=source)
    assert found.stdout.splitlines()[1].split()[:2] == [namespace, "here"]


def test_delete_stops_at_the_first_failure(clusters: Clusters, namespace: str) -> None:
    source = clusters.kubeconfig("source")
    make_pair(clusters.source, "one", namespace)
    make_pair(clusters.source, "two", namespace)
    result = storkctl(
        "delete", "clusterpair", "one", "missing", "two", "-n", namespace, kubeconfig=source
    )
    assert result.returncode == 1
    assert result.stdout == "ClusterPair one deleted successfully\n"
    assert result.stderr == NOT_FOUND.format("missing") + "\n"
    wait_for(
        lambda: get_pair(clusters.source, "one", namespace) is None,
        timeout=10,
        what="the first pair deleted",
    )
    assert get_pair(clusters.source, "two", namespace) is not None
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
        retry_seconds="1",
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
    assert result.stderr == "error: You must be logged in to the server (Unauthorized)\n"
    assert SECRET not in result.stdout + result.stderr


# -- Stork's pkg/storkctl/clusterpair_test.go, ported (in-process, TZ=UTC) ---------------------


@pytest.fixture
def ctl(clusters: Clusters, utc: None) -> Storkctl:
    return Storkctl(clusters.kubeconfig("source"))


def stork_pair(client: Client, name: str, namespace: str) -> dict[str, Any]:
    """Stork's ``createClusterPairAndVerify``: options only, no config."""
    options = {"option1": "value1", "option2": "value2"}
    body = {
        "apiVersion": API,
        "kind": "ClusterPair",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"options": options},
    }
    client.create(ClusterPairResource.from_dict(body))
    pair = dict(client.get(ClusterPairResource, name, namespace=namespace))
    assert (pair["metadata"]["name"], pair["metadata"]["namespace"], pair["spec"]["options"]) == (
        name,
        namespace,
        options,
    )
    return pair


def created_at(pair: dict[str, Any]) -> str:
    return rfc822(parse_time(pair["metadata"]["creationTimestamp"]))


def test_TestGetClusterPairNoPair(ctl: Storkctl, namespace: str) -> None:
    assert ctl.ok("get", "clusterpair", "-n", namespace) == "No resources found.\n"


def test_TestGetClusterPairNotFound(clusters: Clusters, ctl: Storkctl, namespace: str) -> None:
    stork_pair(clusters.source, "pair2", namespace)
    assert ctl.fails("get", "clusterpair", "pair1", "-n", namespace) == NOT_FOUND.format("pair1")


def test_TestGetClusterPair(
    clusters: Clusters, ctl: Storkctl, namespace: str, fresh_namespace: str
) -> None:
    test, test1 = namespace, fresh_namespace
    clusters.source.create(Namespace(metadata=ObjectMeta(name=test1)))
    headers = ["NAME", "STORAGE-STATUS", "SCHEDULER-STATUS", "CREATED"]
    first = stork_pair(clusters.source, "getclusterpairtest", test)
    one = tab(headers, [["getclusterpairtest", "", "", created_at(first)]])
    assert ctl.ok("get", "clusterpair", "getclusterpairtest", "-n", test) == one
    second = stork_pair(clusters.source, "getclusterpairtest2", test)
    assert ctl.ok("get", "clusterpair", "getclusterpairtest", "-n", test) == one
    both = tab(
        headers,
        [
            ["getclusterpairtest", "", "", created_at(first)],
            ["getclusterpairtest2", "", "", created_at(second)],
        ],
    )
    assert (
        ctl.ok("get", "clusterpair", "getclusterpairtest", "getclusterpairtest2", "-n", test)
        == both
    )
    assert ctl.ok("get", "clusterpair", "-n", test) == both
    third = stork_pair(clusters.source, "getclusterpairtest", test1)
    assert ctl.ok("get", "clusterpair", "-n", test1) == tab(
        headers, [["getclusterpairtest", "", "", created_at(third)]]
    )
    wait_for(
        lambda: (
            {
                p["metadata"]["namespace"]
                for p in clusters.source.list(ClusterPairResource, namespace="*")
            }
            <= {test, test1}
        ),
        60,
        "other tests' ClusterPairs to be gone",
    )
    expected = [
        [test, "getclusterpairtest", "", "", created_at(first)],
        [test, "getclusterpairtest2", "", "", created_at(second)],
        [test1, "getclusterpairtest", "", "", created_at(third)],
    ]
    expected.sort(key=lambda row: (row[0], row[1]))
    assert ctl.ok("get", "clusterpair", "--all-namespaces") == tab(
        ["NAMESPACE", *headers], expected
    )


def test_TestGetClusterPairsWithStatus(clusters: Clusters, ctl: Storkctl, namespace: str) -> None:
    pair = stork_pair(clusters.source, "clusterpairstatustest", namespace)
    patch_status(
        clusters.source,
        ClusterPairResource,
        "clusterpairstatustest",
        namespace,
        {"storageStatus": "Ready", "schedulerStatus": "Ready"},
    )
    assert ctl.ok("get", "clusterpair", "clusterpairstatustest", "-n", namespace) == (
        "NAME                    STORAGE-STATUS   SCHEDULER-STATUS   CREATED\n"
        f"clusterpairstatustest   Ready            Ready              {created_at(pair)}\n"
    )


def test_wide_shows_an_insecure_transport(
    clusters: Clusters, ctl: Storkctl, namespace: str
) -> None:
    insecure, checked = (
        stork_pair(clusters.source, "insecure", namespace),
        stork_pair(clusters.source, "verified", namespace),
    )
    condition = {
        "type": "InsecureTransport",
        "status": "True",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
        "reason": "InsecureSkipTLSVerify",
        "message": "insecure-skip-tls-verify",
    }
    patch_status(
        clusters.source,
        ClusterPairResource,
        "insecure",
        namespace,
        {"schedulerStatus": "Ready", "storageStatus": "NotProvided", "conditions": [condition]},
    )
    headers = ["NAME", "STORAGE-STATUS", "SCHEDULER-STATUS", "CREATED", "INSECURE-TRANSPORT"]
    assert ctl.ok("get", "clusterpair", "-n", namespace, "-o", "wide") == tab(
        headers,
        [
            ["insecure", "NotProvided", "Ready", created_at(insecure), "True"],
            ["verified", "", "", created_at(checked), "False"],
        ],
    )
    assert "INSECURE" not in ctl.ok("get", "clusterpair", "-n", namespace)  # only with -o wide
    assert ctl.ok("get", "cp", "-n", namespace, "-o", "yaml").count("InsecureTransport") == 1


def test_generate_with_a_secret_reference_applies_with_kubectl(
    clusters: Clusters, namespace: str, tmp_path: Path
) -> None:
    destination = kubeconfig_with_files(clusters, "destination", tmp_path)
    generated = storkctl(
        "generate",
        "clusterpair",
        "remotecluster",
        "-n",
        namespace,
        "--secret",
        kubeconfig=destination,
    )
    assert (generated.returncode, generated.stderr) == (0, "")
    secret, pair = list(yaml.safe_load_all(generated.stdout))
    assert generated.stdout.startswith("---\napiVersion: v1\n")
    assert secret["kind"] == "Secret"
    assert secret["type"] == "stork.libopenstorage.org/kubeconfig"
    assert secret["metadata"] == {"name": "remotecluster-kubeconfig", "namespace": namespace}
    inner = yaml.safe_load(base64.b64decode(secret["data"]["kubeconfig"]))
    creds = clusters.sandbox.credentials("destination")
    assert inner["clusters"] == [
        {
            "name": "dst",
            "cluster": {
                "server": creds.server,
                "certificate-authority-data": base64.b64encode(creds.ca_pem).decode(),
            },
        }
    ]
    assert set(inner["users"][0]["user"]) == {
        "client-certificate-data",
        "client-key-data",
    }  # files inlined
    assert (inner["apiVersion"], inner["kind"], inner["current-context"]) == ("v1", "Config", "dst")
    assert pair["spec"] == {
        "configSecretRef": {"name": "remotecluster-kubeconfig", "key": "kubeconfig"},
        "options": {"insert_storage_options_here": ""},
        "platformOptions": {},
    }
    saved = tmp_path / "pair.yaml"
    saved.write_text(generated.stdout)
    applied = kubectl("apply", "-f", str(saved), kubeconfig=clusters.kubeconfig("source"))
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines() == [
        "secret/remotecluster-kubeconfig created",
        "clusterpair.stork.libopenstorage.org/remotecluster created",
    ]
    stored_pair = get_pair(clusters.source, "remotecluster", namespace)
    assert stored_pair is not None
    assert "config" not in stored_pair["spec"]
    assert stored_pair["spec"]["configSecretRef"] == {
        "name": "remotecluster-kubeconfig",
        "key": "kubeconfig",
    }
    stored_secret = clusters.source.get(Secret, "remotecluster-kubeconfig", namespace=namespace)
    assert stored_secret.type == "stork.libopenstorage.org/kubeconfig"
    config = pair_client_config(yaml.safe_load(base64.b64decode(stored_secret.data["kubeconfig"])))
    assert server_version(config)["gitVersion"].startswith("v1.")  # the credentials work
