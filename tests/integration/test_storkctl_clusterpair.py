"""`storkctl generate|create|get|delete clusterpair` between the real sandbox clusters."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import yaml
from lightkube import ApiError
from lightkube.resources.core_v1 import Namespace

from stork.kube.http import server_version
from stork.kube.pairconfig import pair_client_config
from stork.kube.resources import ClusterPairResource
from tests.integration.conftest import Clusters

KUBECTL = str(Path(sys.executable).parent / "kubectl")


def storkctl(*args: str, kubeconfig: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if kubeconfig:
        env["KUBECONFIG"] = str(kubeconfig)
    return subprocess.run(
        [sys.executable, "-m", "stork.cli.storkctl_main", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_generate_on_destination_apply_on_source(
    clusters: Clusters, namespace: str, tmp_path: Path
) -> None:
    generated = storkctl(
        "generate",
        "clusterpair",
        "-n",
        namespace,
        "remotecluster",
        "--project-mappings",
        "p-a=p-b",
        kubeconfig=clusters.kubeconfig("destination"),
    )
    assert generated.returncode == 0, generated.stderr
    doc = yaml.safe_load(generated.stdout)
    assert doc["spec"]["options"] == {"insert_storage_options_here": ""}
    assert doc["spec"]["platformOptions"] == {"rancher": {"projectMappings": {"p-a": "p-b"}}}
    assert set(doc["spec"]["config"]) == {
        "clusters",
        "contexts",
        "current-context",
        "preferences",
        "users",
    }
    assert 'storageStatus: ""' in generated.stdout
    path = tmp_path / "clusterpair.yaml"
    path.write_text(generated.stdout)
    created = subprocess.run(
        [KUBECTL, "create", "-f", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KUBECONFIG": str(clusters.kubeconfig("source"))},
    )
    assert created.returncode == 0, created.stderr
    pair = clusters.source.get(ClusterPairResource, "remotecluster", namespace=namespace)
    config = pair_client_config(pair["spec"]["config"])
    assert server_version(config)["gitVersion"].startswith("v1.")

    table = storkctl(
        "get", "clusterpair", "-n", namespace, kubeconfig=clusters.kubeconfig("source")
    )
    header, row = table.stdout.splitlines()
    assert header.split() == ["NAME", "STORAGE-STATUS", "SCHEDULER-STATUS", "CREATED"]
    assert row.split()[0] == "remotecluster"
    gone = storkctl(
        "delete", "cp", "remotecluster", "-n", namespace, kubeconfig=clusters.kubeconfig("source")
    )
    assert gone.stdout == "ClusterPair remotecluster deleted successfully\n"


def test_create_both_directions_with_reversed_mappings(clusters: Clusters) -> None:
    ns = f"pair-{uuid.uuid4().hex[:8]}"
    try:
        result = storkctl(
            "create",
            "clusterpair",
            "dr",
            "-n",
            ns,
            "--mode",
            "sync-dr",
            "--src-kube-file",
            str(clusters.kubeconfig("source")),
            "--dest-kube-file",
            str(clusters.kubeconfig("destination")),
            "--project-mappings",
            "p-src=p-dst",
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == (
            "ClusterPair dr created successfully. Direction Source -> Destination\n\n"
            "Cluster pair dr created successfully. Direction: Destination -> Source\n"
        )
        forward = clusters.source.get(ClusterPairResource, "dr", namespace=ns)
        reverse = clusters.destination.get(ClusterPairResource, "dr", namespace=ns)
        assert forward["spec"]["options"] == {}
        assert forward["spec"]["platformOptions"]["rancher"]["projectMappings"] == {
            "p-src": "p-dst"
        }
        assert reverse["spec"]["platformOptions"]["rancher"]["projectMappings"] == {
            "p-dst": "p-src"
        }
        dest_url = pair_client_config(forward["spec"]["config"]).cluster.server
        src_url = pair_client_config(reverse["spec"]["config"]).cluster.server
        assert dest_url == clusters.sandbox.credentials("destination").server
        assert src_url == clusters.sandbox.credentials("source").server
    finally:
        for client in (clusters.source, clusters.destination):
            with contextlib.suppress(ApiError):
                client.delete(Namespace, ns)


def test_bad_input(clusters: Clusters) -> None:
    bad_name = storkctl(
        "generate", "clusterpair", "Bad_Name", kubeconfig=clusters.kubeconfig("destination")
    )
    assert bad_name.returncode == 1
    assert bad_name.stderr.startswith(
        'error: the Name "Bad_Name" is not valid: [a lowercase RFC 1123 subdomain'
    )
    bad_mapping = storkctl(
        "generate",
        "clusterpair",
        "p",
        "--project-mappings",
        "a=b,oops",
        kubeconfig=clusters.kubeconfig("destination"),
    )
    assert (
        bad_mapping.stderr.strip()
        == "error: invalid --project-mappings value 'oops': expected key=value"
    )
    async_dr = storkctl(
        "create",
        "clusterpair",
        "p",
        "--mode",
        "async-dr",
        "--src-kube-file",
        "x",
        "--dest-kube-file",
        "y",
    )
    assert async_dr.returncode == 1
    assert "needs a storage driver" in async_dr.stderr
    missing = storkctl(
        "get", "clusterpair", "nope", "-n", "default", kubeconfig=clusters.kubeconfig("source")
    )
    assert (
        missing.stderr.strip()
        == 'Error from server (NotFound): clusterpairs.stork.libopenstorage.org "nope" not found'
    )
    for result in (bad_name, bad_mapping, async_dr, missing):
        assert "Traceback" not in result.stderr
