"""ClusterPair spec.config in both layouts; minify with files inlined; errors without secrets."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from stork.kube.pairconfig import (
    PairConfigError,
    exec_users,
    is_stork_layout,
    minify,
    pair_client_config,
    to_kubeconfig_v1,
    to_stork_layout,
)

SECRET = "s3cr3t-token-value"


def _v1() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "dst",
        "clusters": [
            {"name": "dst-cluster", "cluster": {"server": "https://127.0.0.1:6443"}},
            {"name": "other", "cluster": {"server": "https://127.0.0.1:7443"}},
        ],
        "users": [
            {"name": "dst-user", "user": {"token": SECRET}},
            {"name": "other-user", "user": {"token": "x"}},
        ],
        "contexts": [
            {"name": "dst", "context": {"cluster": "dst-cluster", "user": "dst-user"}},
            {"name": "other", "context": {"cluster": "other", "user": "other-user"}},
        ],
    }


def test_minify_keeps_only_the_chosen_context() -> None:
    out = minify(_v1(), "other")
    assert out["current-context"] == "other"
    assert [c["name"] for c in out["clusters"]] == ["other"]
    assert [u["name"] for u in out["users"]] == ["other-user"]
    assert [c["name"] for c in out["contexts"]] == ["other"]


def test_minify_inlines_file_references(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_bytes(b"CA")
    (tmp_path / "c.crt").write_bytes(b"CERT")
    (tmp_path / "c.key").write_bytes(b"KEY")
    (tmp_path / "token").write_text("tok\n")
    doc = _v1()
    doc["clusters"][0]["cluster"]["certificate-authority"] = str(tmp_path / "ca.crt")
    doc["users"][0]["user"] = {
        "client-certificate": str(tmp_path / "c.crt"),
        "client-key": str(tmp_path / "c.key"),
        "tokenFile": str(tmp_path / "token"),
    }
    out = minify(doc)
    cluster, user = out["clusters"][0]["cluster"], out["users"][0]["user"]
    assert cluster == {
        "server": "https://127.0.0.1:6443",
        "certificate-authority-data": base64.b64encode(b"CA").decode(),
    }
    assert user == {
        "client-certificate-data": base64.b64encode(b"CERT").decode(),
        "client-key-data": base64.b64encode(b"KEY").decode(),
        "token": "tok",
    }


def test_minify_missing_file_names_the_file_only(tmp_path: Path) -> None:
    doc = _v1()
    doc["users"][0]["user"]["client-key"] = str(tmp_path / "absent.key")
    with pytest.raises(PairConfigError) as err:
        minify(doc)
    assert "client-key file" in str(err.value)
    assert SECRET not in str(err.value)


def test_round_trip_between_layouts() -> None:
    stork = to_stork_layout(minify(_v1()), "/home/me/.kube/config")
    assert is_stork_layout(stork)
    assert stork["clusters"] == {
        "dst-cluster": {
            "LocationOfOrigin": "/home/me/.kube/config",
            "server": "https://127.0.0.1:6443",
        }
    }
    assert stork["contexts"]["dst"] == {
        "LocationOfOrigin": "/home/me/.kube/config",
        "cluster": "dst-cluster",
        "user": "dst-user",
    }
    assert stork["current-context"] == "dst"
    assert stork["preferences"] == {}
    back = to_kubeconfig_v1(stork)
    assert not is_stork_layout(back)
    assert back["clusters"] == [
        {"name": "dst-cluster", "cluster": {"server": "https://127.0.0.1:6443"}}
    ]
    assert back["users"] == [{"name": "dst-user", "user": {"token": SECRET}}]


def test_go_only_exec_fields_are_dropped_when_reading() -> None:
    stork = {
        "clusters": {"c": {"server": "https://127.0.0.1:1"}},
        "contexts": {"x": {"cluster": "c", "user": "u"}},
        "users": {
            "u": {
                "LocationOfOrigin": "/k",
                "exec": {
                    "command": "aws",
                    "apiVersion": "client.authentication.k8s.io/v1",
                    "Config": None,
                    "InteractiveMode": "IfAvailable",
                },
            }
        },
        "current-context": "x",
    }
    v1 = to_kubeconfig_v1(stork)
    assert v1["users"][0]["user"] == {
        "exec": {"command": "aws", "apiVersion": "client.authentication.k8s.io/v1"}
    }
    assert exec_users(stork) == ["u"]


def test_client_config_from_either_layout() -> None:
    for config in (_v1(), to_stork_layout(minify(_v1()))):
        single = pair_client_config(config)
        assert single.cluster.server == "https://127.0.0.1:6443"
        assert single.context_name == "dst"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, "spec.config is empty"),
        ({"clusters": {}, "contexts": {}, "users": {}}, "no current-context"),
        ({"clusters": {}, "contexts": {}, "users": {}, "current-context": "x"}, 'context "x"'),
        (
            {
                "clusters": {},
                "contexts": {"x": {"cluster": "c", "user": "u"}},
                "current-context": "x",
            },
            'cluster "c"',
        ),
    ],
)
def test_unusable_configs(config: dict[str, Any] | None, message: str) -> None:
    with pytest.raises(PairConfigError, match=message):
        pair_client_config(config)
