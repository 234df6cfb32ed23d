from pathlib import Path

import pytest

from stork.sandbox.binaries import (
    ETCD_VERSION,
    KUBERNETES_VERSION,
    MissingBinariesError,
    binary_dir,
    cache_dir,
)


def _make_bins(directory: Path, names: tuple[str, ...]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = directory / name
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)


def test_cache_dir_is_keyed_by_the_pinned_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORK_CACHE_DIR", "/cache")
    assert cache_dir() == Path(f"/cache/controlplane/{KUBERNETES_VERSION}-etcd{ETCD_VERSION}")


def test_kubebuilder_assets_overrides_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make_bins(tmp_path / "assets", ("etcd", "kube-apiserver", "kube-controller-manager"))
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(tmp_path / "assets"))
    assert binary_dir() == tmp_path / "assets"


def test_missing_binaries_name_the_remedies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _make_bins(tmp_path, ("etcd",))
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(tmp_path))
    with pytest.raises(MissingBinariesError) as err:
        binary_dir()
    message = str(err.value)
    assert "kube-apiserver, kube-controller-manager" in message
    assert "make controlplane" in message
    assert "KUBEBUILDER_ASSETS" in message


def test_cache_without_binaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBEBUILDER_ASSETS", raising=False)
    monkeypatch.setenv("STORK_CACHE_DIR", str(tmp_path))
    with pytest.raises(MissingBinariesError, match="the build cache"):
        binary_dir()
