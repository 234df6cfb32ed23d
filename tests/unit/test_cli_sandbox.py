"""`stork sandbox` reports bad input and faults as one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stork.cli.stork_main import cli


def test_missing_binaries_give_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(tmp_path / "nothing-here"))
    result = CliRunner().invoke(cli, ["sandbox", "up", "--dir", str(tmp_path / "sb")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: control-plane binaries not found")
    assert "make controlplane" in lines[0]
    assert "KUBEBUILDER_ASSETS" in lines[0]
    assert not (tmp_path / "sb" / "state.json").exists()


def test_status_without_sandbox(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "status", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"error: no sandbox in {tmp_path}: run `stork sandbox up --dir {tmp_path}`"
    )


def test_down_without_sandbox_is_not_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "down", "--dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "nothing to stop" in result.output


def test_unknown_cluster_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "stop", "elsewhere", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "'elsewhere' is not one of 'source', 'destination'" in result.output


def test_stop_without_sandbox(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "stop", "source", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("error: no sandbox in")


def test_corrupt_state_is_reported(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    result = CliRunner().invoke(cli, ["sandbox", "status", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot read {tmp_path / 'state.json'}")
