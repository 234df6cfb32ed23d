"""``storkctl generate clusterpair`` from kubeconfigs built here (no cluster needed)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from stork.cli.storkctl_main import cli

CA = b"-----BEGIN CERTIFICATE-----\n" + b"Q" * 120 + b"\n-----END CERTIFICATE-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\n" + b"C" * 120 + b"\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN EC PRIVATE KEY-----\n" + b"K" * 90 + b"\n-----END EC PRIVATE KEY-----\n"
SECRET = "tok-3f9a7c-very-secret"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_kubeconfig(directory: Path, doc: dict[str, Any], name: str = "config") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(doc))
    return path


def destination_kubeconfig(directory: Path) -> Path:
    """A kubeconfig referring to certificate FILES (relative paths), and a second context."""
    (directory / "ca.crt").write_bytes(CA)
    (directory / "client.crt").write_bytes(CERT)
    (directory / "client.key").write_bytes(KEY)
    return write_kubeconfig(
        directory,
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "dest",
            "clusters": [
                {
                    "name": "dest-cluster",
                    "cluster": {
                        "server": "https://127.0.0.1:6443",
                        "certificate-authority": "ca.crt",
                    },
                },
                {"name": "other-cluster", "cluster": {"server": "https://127.0.0.1:7443"}},
            ],
            "users": [
                {
                    "name": "dest-admin",
                    "user": {"client-certificate": "client.crt", "client-key": "client.key"},
                },
                {"name": "other-user", "user": {"token": SECRET}},
            ],
            "contexts": [
                {"name": "dest", "context": {"cluster": "dest-cluster", "user": "dest-admin"}},
                {"name": "other", "context": {"cluster": "other-cluster", "user": "other-user"}},
            ],
        },
    )


def run(args: list[str], kubeconfig: Path | str | None, home: Path) -> Result:
    env = {"KUBECONFIG": str(kubeconfig) if kubeconfig else None, "HOME": str(home)}
    return CliRunner().invoke(cli, args, env=env, prog_name="storkctl")


def expected_yaml(location: Path) -> str:
    return f"""apiVersion: stork.libopenstorage.org/v1alpha1
kind: ClusterPair
metadata:
  creationTimestamp: null
  name: remotecluster
  namespace: migrationnamespace
spec:
  config:
    clusters:
      dest-cluster:
        LocationOfOrigin: {location}
        certificate-authority-data: {b64(CA)}
        server: https://127.0.0.1:6443
    contexts:
      dest:
        LocationOfOrigin: {location}
        cluster: dest-cluster
        user: dest-admin
    current-context: dest
    preferences: {{}}
    users:
      dest-admin:
        LocationOfOrigin: {location}
        client-certificate-data: {b64(CERT)}
        client-key-data: {b64(KEY)}
  options:
    insert_storage_options_here: ""
  platformOptions: {{}}
status:
  remoteStorageId: ""
  schedulerStatus: ""
  storageStatus: ""
"""


def test_stork_layout_with_files_inlined(tmp_path: Path) -> None:
    config = destination_kubeconfig(tmp_path)
    result = run(
        ["generate", "clusterpair", "-n", "migrationnamespace", "remotecluster"], config, tmp_path
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected_yaml(config)
    assert result.stderr == ""
    assert SECRET not in result.stdout  # the other context's user is left out


def test_storage_options_and_project_mappings(tmp_path: Path) -> None:
    config = destination_kubeconfig(tmp_path)
    result = run(
        [
            "generate",
            "clusterpair",
            "p",
            "-s",
            "token=ab==,port=9001",
            "--project-mappings",
            " p-a1=p-a2 , c-1:p-a1=c-2:p-a2",
        ],
        config,
        tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    tail = result.stdout[result.stdout.index("  options:") :]
    assert tail == (
        "  options:\n"
        '    port: "9001"\n'
        "    token: ab==\n"
        "  platformOptions:\n"
        "    rancher:\n"
        "      projectMappings:\n"
        "        c-1:p-a1: c-2:p-a2\n"
        "        p-a1: p-a2\n"
        "status:\n"
        '  remoteStorageId: ""\n'
        '  schedulerStatus: ""\n'
        '  storageStatus: ""\n'
    )


def test_exec_user_is_kept_with_a_warning(tmp_path: Path) -> None:
    config = write_kubeconfig(
        tmp_path,
        {
            "current-context": "eks",
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
            "users": [
                {
                    "name": "aws-user",
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token"],
                        }
                    },
                }
            ],
            "contexts": [{"name": "eks", "context": {"cluster": "c", "user": "aws-user"}}],
        },
    )
    result = run(["generate", "clusterpair", "p"], config, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        'warning: user "aws-user" authenticates with the exec plugin "aws"; the stork controller '
        "must have that plugin installed to reach this cluster "
        "(a service-account token avoids this)\n"
    )
    user = yaml.safe_load(result.stdout)["spec"]["config"]["users"]["aws-user"]
    assert user["exec"] == {
        "Config": None,
        "InteractiveMode": "IfAvailable",
        "StdinUnavailable": False,
        "StdinUnavailableMessage": "",
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "args": ["eks", "get-token"],
        "command": "aws",
        "env": None,
        "provideClusterInfo": False,
    }
    assert "warning" not in result.stdout


def test_auth_provider_user_gets_a_warning(tmp_path: Path) -> None:
    config = write_kubeconfig(
        tmp_path,
        {
            "current-context": "gke",
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
            "users": [{"name": "g", "user": {"auth-provider": {"name": "gcp", "config": {}}}}],
            "contexts": [{"name": "gke", "context": {"cluster": "c", "user": "g"}}],
        },
    )
    result = run(["generate", "clusterpair", "p"], config, tmp_path)
    assert result.exit_code == 0
    assert 'user "g" authenticates with the auth-provider "gcp"' in result.stderr


def test_token_file_is_inlined_and_context_chosen(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(SECRET + "\n")
    config = write_kubeconfig(
        tmp_path,
        {
            "current-context": "a",
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
            "users": [{"name": "u", "user": {"tokenFile": "token"}}],
            "contexts": [
                {"name": "a", "context": {"cluster": "c"}},
                {"name": "b", "context": {"cluster": "c", "user": "u", "namespace": "x"}},
            ],
        },
    )
    result = run(["generate", "clusterpair", "p", "--context", "b"], config, tmp_path)
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)["spec"]["config"]
    assert spec["current-context"] == "b"
    assert spec["users"]["u"] == {"LocationOfOrigin": str(config), "token": SECRET}
    assert spec["contexts"]["b"]["namespace"] == "x"


def test_context_without_user(tmp_path: Path) -> None:
    config = write_kubeconfig(
        tmp_path,
        {
            "current-context": "a",
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
            "contexts": [{"name": "a", "context": {"cluster": "c"}}],
        },
    )
    result = run(["generate", "clusterpair", "p"], config, tmp_path)
    spec = yaml.safe_load(result.stdout)["spec"]["config"]
    assert spec["users"] == {}
    assert spec["contexts"]["a"] == {"LocationOfOrigin": str(config), "cluster": "c", "user": ""}


def test_merged_kubeconfig_records_each_entry_origin(tmp_path: Path) -> None:
    first = write_kubeconfig(
        tmp_path,
        {
            "current-context": "a",
            "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}],
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
        },
        "first",
    )
    second = write_kubeconfig(
        tmp_path,
        {
            "users": [{"name": "u", "user": {"token": SECRET}}],
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9999"}}],
        },
        "second",
    )
    result = run(["generate", "clusterpair", "p"], f"{first}:{second}", tmp_path)
    assert result.exit_code == 0, result.stderr
    spec = yaml.safe_load(result.stdout)["spec"]["config"]
    assert spec["clusters"]["c"] == {
        "LocationOfOrigin": str(first),
        "server": "https://127.0.0.1:6443",
    }
    assert spec["users"]["u"]["LocationOfOrigin"] == str(second)


def test_global_flags_before_and_after_the_command(tmp_path: Path) -> None:
    config = destination_kubeconfig(tmp_path)
    home = tmp_path

    def metadata(args: list[str]) -> dict[str, Any]:
        result = run(args, None, home)
        assert result.exit_code == 0, result.stderr
        return dict(yaml.safe_load(result.stdout)["metadata"])

    root = ["--kubeconfig", str(config)]
    assert metadata([*root, "-n", "rootns", "generate", "clusterpair", "p"])["namespace"] == (
        "rootns"
    )
    after = [*root, "-n", "rootns", "generate", "clusterpair", "p", "-n", "leafns"]
    assert metadata(after)["namespace"] == "leafns"
    assert metadata(["generate", "clusterpair", "p", "--kubeconfig", str(config)])["namespace"] == (
        "default"
    )
    other = run([*root, "--context", "other", "generate", "cp", "p"], None, home)
    assert yaml.safe_load(other.stdout)["spec"]["config"]["current-context"] == "other"


@pytest.mark.parametrize(
    "args",
    [["-o", "xml", "generate", "clusterpair", "p"], ["generate", "clusterpair", "p", "-o", "json"]],
)
def test_output_flag_is_ignored_as_stork_does(tmp_path: Path, args: list[str]) -> None:
    result = run(args, destination_kubeconfig(tmp_path), tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        "apiVersion: stork.libopenstorage.org/v1alpha1\nkind: ClusterPair\n"
    )


def test_check_order_as_stork(tmp_path: Path) -> None:
    # 1. a usable kubeconfig comes first, before the name is looked at
    none = run(["generate", "clusterpair", "Bad_Name"], None, tmp_path)
    assert none.exit_code == 1
    assert none.stderr.startswith("error: no kubeconfig found")
    config = destination_kubeconfig(tmp_path)
    # 2. exactly one name
    two = run(["generate", "clusterpair", "a", "b"], config, tmp_path)
    assert two.stderr == "error: exactly one name needs to be provided for clusterpair name\n"
    # 3. the name, then 4. the namespace
    both = run(["generate", "clusterpair", "Bad_Name", "-n", "bad.ns"], config, tmp_path)
    assert both.stderr.startswith('error: the Name "Bad_Name" is not valid: [a lowercase RFC')
    ns = run(["generate", "clusterpair", "ok", "-n", "bad.ns"], config, tmp_path)
    assert ns.stderr.startswith('error: the Namespace "bad.ns" is not valid: [a lowercase RFC')
    # 5. storage options before 6. project mappings
    opts = run(
        ["generate", "clusterpair", "ok", "-s", "x", "--project-mappings", "y"], config, tmp_path
    )
    assert opts.stderr == "error: invalid storage options\n"
    mapping = run(
        ["generate", "clusterpair", "ok", "--project-mappings", "a=b,y"], config, tmp_path
    )
    assert mapping.stderr.startswith(  # Stork: "invalid " and the flag's help text
        "error: invalid Project mappings between source and destination clusters (currently "
        "supported only for Rancher).\nUse comma-separated"
    )
    for result in (none, two, both, ns, opts, mapping):
        assert result.exit_code == 1
        assert result.stdout == ""


def test_errors_never_show_credentials(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.write_text(f"users:\n- name: u\n  user:\n    token: {SECRET}: oops\n")
    result = run(["generate", "clusterpair", "p"], broken, tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: kubeconfig {broken} is not valid YAML")
    assert SECRET not in result.stderr
    assert "Traceback" not in result.stderr

    missing_key = write_kubeconfig(
        tmp_path,
        {
            "current-context": "a",
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
            "users": [{"name": "u", "user": {"client-key": "nowhere.key", "token": SECRET}}],
            "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}],
        },
        "missing",
    )
    result = run(["generate", "clusterpair", "p"], missing_key, tmp_path)
    assert result.exit_code == 1
    assert "nowhere.key" in result.stderr
    assert SECRET not in result.stderr
    unknown = run(["generate", "clusterpair", "p", "--context", "nope"], missing_key, tmp_path)
    assert unknown.stderr == 'error: context "nope" does not exist in the kubeconfig\n'


def test_generate_is_hidden_but_works(tmp_path: Path) -> None:
    help_text = run(["--help"], None, tmp_path).stdout
    assert "generate" not in help_text
    assert "create" in help_text
    assert run(["generate", "--help"], None, tmp_path).exit_code == 0
