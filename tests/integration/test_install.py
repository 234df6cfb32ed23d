"""`stork install` applies the CRDs server-side, waits until Established, and is idempotent."""

from __future__ import annotations

import subprocess
import sys

from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from stork.api.crd import CRDS
from tests.integration.conftest import Clusters


def _versions(clusters: Clusters) -> dict[str, str]:
    out = {}
    for info in CRDS:
        crd = clusters.source.get(CustomResourceDefinition, info.name)
        assert crd.metadata is not None
        assert crd.metadata.resourceVersion is not None
        out[info.name] = crd.metadata.resourceVersion
    return out


def _install(clusters: Clusters) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "stork.cli.stork_main",
            "install",
            "--kubeconfig",
            str(clusters.kubeconfig()),
            "--context",
            "source",
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_install_twice_changes_nothing(clusters: Clusters) -> None:
    before = _versions(clusters)
    result = _install(clusters)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"customresourcedefinition.apiextensions.k8s.io/{info.name} unchanged" for info in CRDS
    ]
    assert _versions(clusters) == before


def test_crds_are_established_with_short_names_and_status(clusters: Clusters) -> None:
    for info in CRDS:
        crd = clusters.source.get(CustomResourceDefinition, info.name)
        assert crd.status is not None
        conditions = {c.type: c.status for c in crd.status.conditions or []}
        assert conditions.get("Established") == "True"
        assert crd.spec.names.shortNames == (list(info.short_names) or None)
        assert (crd.spec.versions[0].subresources is not None) == info.status


def test_install_into_an_unreachable_cluster_is_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.kubeconfig"
    result = subprocess.run(
        [sys.executable, "-m", "stork.cli.stork_main", "install", "--kubeconfig", str(missing)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot read kubeconfig")
    assert "Traceback" not in result.stderr
