from pathlib import Path
from typing import Any

import pytest
import yaml

from stork.kube.config import (
    KubeconfigError,
    kubeconfig_paths,
    load_config,
    load_config_dict,
    merge_kubeconfigs,
)


def _doc(name: str, server: str, current: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "users": [{"name": name, "user": {"token": "t"}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
    }
    if current:
        doc["current-context"] = current
    return doc


def test_merge_first_definition_and_first_current_context_win() -> None:
    merged = merge_kubeconfigs(
        [
            _doc("a", "https://127.0.0.1:1"),
            _doc("a", "https://127.0.0.1:2", current="a"),
            _doc("b", "https://127.0.0.1:3", current="b"),
        ]
    )
    assert [c["cluster"]["server"] for c in merged["clusters"]] == [
        "https://127.0.0.1:1",
        "https://127.0.0.1:3",
    ]
    assert merged["current-context"] == "a"


def test_kubeconfig_env_lists_several_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text(yaml.safe_dump(_doc("a", "https://127.0.0.1:1", current="a")))
    b.write_text(yaml.safe_dump(_doc("b", "https://127.0.0.1:2")))
    monkeypatch.setenv("KUBECONFIG", f"{a}:{b}:{tmp_path / 'missing'}")
    assert kubeconfig_paths(None) == [a, b, tmp_path / "missing"]
    assert load_config(context="b").cluster.server == "https://127.0.0.1:2"
    assert load_config().context_name == "a"


def test_relative_file_references_resolve_against_the_kubeconfig(tmp_path: Path) -> None:
    doc = _doc("a", "https://127.0.0.1:1", current="a")
    doc["clusters"][0]["cluster"]["certificate-authority"] = "pki/ca.crt"
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(doc))
    data = load_config_dict(path)
    assert data["clusters"][0]["cluster"]["certificate-authority"] == str(tmp_path / "pki/ca.crt")


def test_unknown_context_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(_doc("a", "https://127.0.0.1:1", current="a")))
    with pytest.raises(KubeconfigError, match='context "nope" does not exist'):
        load_config(path, "nope")


def test_missing_explicit_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="cannot read kubeconfig"):
        load_config(tmp_path / "absent")


def test_invalid_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("clusters: [unclosed")
    with pytest.raises(KubeconfigError, match="not valid YAML"):
        load_config(path)


def test_no_kubeconfig_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(KubeconfigError, match="no kubeconfig found"):
        load_config()
