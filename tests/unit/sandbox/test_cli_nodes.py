"""`stork sandbox up --nodes` where nodes cannot run: one clear line, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stork.cli.stork_main import cli
from stork.sandbox import nodes, sandbox


def _up(tmp_path: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["sandbox", "up", "--nodes", "--dir", str(tmp_path / "sb")])
    assert result.exit_code == 1
    assert not (tmp_path / "sb" / "state.json").exists()
    return result.output.strip().splitlines()


def test_without_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nodes.os, "geteuid", lambda: 1000)
    lines = _up(tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith("error: --nodes needs root")
    assert "without nodes" in lines[0]


def test_without_the_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nodes.os, "geteuid", lambda: 0)
    monkeypatch.setattr(nodes.shutil, "which", lambda *a, **k: None)
    lines = _up(tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith("error: --nodes needs containerd, ctr")
    assert lines[0].endswith("(`make packages`)")


def test_without_the_kubelet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "missing_prerequisites", lambda: None)
    monkeypatch.delenv("KUBEBUILDER_ASSETS", raising=False)
    monkeypatch.setenv("STORK_CACHE_DIR", str(tmp_path / "cache"))
    lines = _up(tmp_path)
    assert len(lines) == 1
    assert "kubelet and kube-scheduler not found" in lines[0]
    assert "make controlplane" in lines[0]
