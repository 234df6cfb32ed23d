"""What a ClusterPair's config may make the controller do: refused fields, named exactly."""

from __future__ import annotations

from typing import Any

import pytest

from stork.kube.pairconfig import (
    CONFINED,
    TRUSTED,
    PairConfigRefusedError,
    PairPolicy,
    insecure_transport,
    pair_client_config,
    to_stork_layout,
)


def config(cluster: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    return {
        "current-context": "ctx",
        "clusters": [{"name": "dst", "cluster": {"server": "https://127.0.0.1:6443", **cluster}}],
        "users": [{"name": "me", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "dst", "user": "me"}}],
    }


EXEC = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "touch"}}
REFUSED = [
    ({}, EXEC, 'spec.config.users["me"].exec', "--allow-pair-exec-plugins"),
    ({}, {"auth-provider": {"name": "gcp"}}, 'spec.config.users["me"].auth-provider', "exec"),
    ({}, {"tokenFile": "/var/run/secrets/token"}, 'spec.config.users["me"].tokenFile', "file"),
    ({}, {"client-certificate": "/c", "client-key": "/k"}, "client-certificate", "file"),
    ({}, {"client-key": "/etc/key", "token": "t"}, 'spec.config.users["me"].client-key', "file"),
    ({"certificate-authority": "/etc/ca"}, {"token": "t"}, "certificate-authority", "file"),
    ({"server": "http://127.0.0.1:1"}, {"token": "t"}, 'clusters["dst"].server', "https"),
]


@pytest.mark.parametrize(("cluster", "user", "field", "hint"), REFUSED)
def test_the_controller_refuses_and_names_the_field(
    cluster: dict[str, Any], user: dict[str, Any], field: str, hint: str
) -> None:
    for layout in (config(cluster, user), to_stork_layout(config(cluster, user))):
        with pytest.raises(PairConfigRefusedError) as refused:
            pair_client_config(layout, CONFINED)
        assert field in refused.value.field
        assert hint in str(refused.value)
        assert "/etc" not in str(refused.value).replace(field, "")


def test_the_default_policy_is_the_confined_one() -> None:
    with pytest.raises(PairConfigRefusedError):
        pair_client_config(config({}, EXEC))


def test_each_flag_widens_only_its_own_kind() -> None:
    execs = PairPolicy(allow_exec_plugins=True)
    assert pair_client_config(config({}, EXEC), execs).user is not None
    with pytest.raises(PairConfigRefusedError, match="tokenFile"):
        pair_client_config(config({}, {"tokenFile": "/t"}), execs)
    files = PairPolicy(allow_file_references=True)
    assert pair_client_config(config({}, {"tokenFile": "/t"}), files).user is not None
    with pytest.raises(PairConfigRefusedError, match="server"):
        pair_client_config(config({"server": "http://127.0.0.1:1"}, {"token": "t"}), files)
    http = PairPolicy(allow_plain_http=True)
    assert pair_client_config(config({"server": "http://127.0.0.1:1"}, {}), http)


def test_storkctl_on_a_users_machine_reads_its_kubeconfig_as_is() -> None:
    assert pair_client_config(config({"certificate-authority": "/ca"}, EXEC), TRUSTED)


def test_only_the_current_context_is_checked() -> None:
    doc = config({}, {"token": "t"})
    doc["users"].append({"name": "unused", "user": EXEC})
    assert pair_client_config(doc, CONFINED).user is not None


def test_insecure_transport_is_reported_not_refused() -> None:
    insecure = config({"insecure-skip-tls-verify": True}, {"token": "t"})
    assert pair_client_config(insecure, CONFINED).cluster.insecure
    assert insecure_transport(insecure)
    assert insecure_transport(to_stork_layout(insecure))
    assert not insecure_transport(config({}, {"token": "t"}))
    assert not insecure_transport(None)
