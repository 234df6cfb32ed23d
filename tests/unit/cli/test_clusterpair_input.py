"""What the user types for a ClusterPair: DNS-1123 names, storage options, project mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from stork.cli.clusterpair_create import check_files, check_mode
from stork.cli.clusterpair_input import (
    MAPPINGS_HELP,
    check_namespace,
    check_pair_name,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    parse_project_mappings,
    parse_storage_options,
    reverse_mappings,
)
from stork.cli.common import exactly_one
from stork.cli.errors import UserError

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


@pytest.mark.parametrize("name", ["remotecluster", "a", "a.b-c", "1-2", "x" * 253])
def test_valid_pair_names(name: str) -> None:
    assert dns1123_subdomain_errors(name) == []
    check_pair_name(name)


@pytest.mark.parametrize("name", ["Bad_Name", "", "-a", "a-", "a..b", "UPPER"])
def test_invalid_pair_names(name: str) -> None:
    assert dns1123_subdomain_errors(name) == [SUBDOMAIN_MSG]
    with pytest.raises(UserError) as e:
        check_pair_name(name)
    assert e.value.format_message() == f'the Name "{name}" is not valid: [{SUBDOMAIN_MSG}]'


def test_too_long_names_get_both_messages() -> None:
    name = "a" * 254
    assert dns1123_subdomain_errors(name) == ["must be no more than 253 characters"]
    bad = "A" * 254
    assert dns1123_subdomain_errors(bad) == ["must be no more than 253 characters", SUBDOMAIN_MSG]
    assert dns1123_label_errors("b" * 64) == ["must be no more than 63 characters"]


@pytest.mark.parametrize("namespace", ["default", "migrationnamespace", "a1", "x" * 63])
def test_valid_namespaces(namespace: str) -> None:
    check_namespace(namespace)


@pytest.mark.parametrize("namespace", ["a.b", "Bad", "", "-x"])
def test_invalid_namespaces(namespace: str) -> None:
    with pytest.raises(UserError) as e:
        check_namespace(namespace)
    assert e.value.format_message() == f'the Namespace "{namespace}" is not valid: [{LABEL_MSG}]'


def test_storage_options() -> None:
    assert parse_storage_options(None) is None
    assert parse_storage_options("") is None
    assert parse_storage_options(" token=ab== , port=9001,,ip=") == {
        "token": "ab==",
        "port": "9001",
        "ip": "",
    }
    for bad in ("a=b,oops", "=v"):  # Stork's message, whatever the item
        with pytest.raises(UserError, match=r"^invalid storage options$"):
            parse_storage_options(bad)


def test_project_mappings_trimmed() -> None:
    assert parse_project_mappings(None) == {}
    assert parse_project_mappings(" p-a1 = p-a2 ,c-1:p-b1=c-2:p-b2, ") == {
        "p-a1": "p-a2",
        "c-1:p-b1": "c-2:p-b2",
    }


@pytest.mark.parametrize("item", ["oops", "=p-b", "p-a=", "p-b1: p-b2"])
def test_malformed_mapping_stork_messages(item: str) -> None:
    with pytest.raises(UserError) as e:
        parse_project_mappings(f"p-a=p-b,{item}")
    assert e.value.format_message() == (  # create clusterpair's
        f"invalid project-mappings provided: invalid key value: {item.strip()} provided. "
        "Example format: app=mysql"
    )
    with pytest.raises(UserError) as e:
        parse_project_mappings(f"p-a=p-b,{item}", generate=True)
    assert e.value.format_message() == f"invalid {MAPPINGS_HELP}"  # generate clusterpair's
    assert e.value.format_message().splitlines()[0] == (
        "invalid Project mappings between source and destination clusters (currently supported "
        "only for Rancher)."
    )


def test_conflicting_mappings() -> None:
    assert parse_project_mappings("a=b,a=b") == {"a": "b"}
    with pytest.raises(UserError, match=r'project "a" is mapped to both "b" and "c"'):
        parse_project_mappings("a=b,a=c")


def test_reverse_mappings() -> None:
    assert reverse_mappings({"p-src": "p-dst", "c1:p-src": "c2:p-dst"}) == {
        "p-dst": "p-src",
        "c2:p-dst": "c1:p-src",
    }
    with pytest.raises(UserError, match=r'"a" and "b" both map to "x".*-u'):
        reverse_mappings({"a": "x", "b": "x"})


def test_exactly_one_name() -> None:
    assert exactly_one(["a"], "clusterpair name") == "a"
    for names in ([], ["a", "b"]):
        with pytest.raises(UserError) as e:
            exactly_one(names, "clusterpair name")
        assert e.value.format_message() == (
            "exactly one name needs to be provided for clusterpair name"
        )


def test_modes() -> None:
    check_mode("sync-dr")
    for mode in ("async-dr", "migration"):
        check_mode(mode, supported_only=False)  # Stork's check lets them through
    for mode in ("async-dr", "migration"):
        with pytest.raises(UserError, match=f"^mode {mode} pairs the storage.*only --mode sync-dr"):
            check_mode(mode)
    with pytest.raises(UserError) as e:
        check_mode("metro")
    assert e.value.format_message() == (
        "invalid mode metro, mode value should either be async-dr, sync-dr or migration"
    )


def test_kube_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r'^missing parameter "src-kube-file" - Kubeconfig file'):
        check_files(None, "b")
    with pytest.raises(UserError, match=r'^missing parameter "dest-kube-file" - Kubeconfig file'):
        check_files("a", "")
    with pytest.raises(UserError, match=r"^source kubeconfig file and destination kubeconfig file"):
        check_files("a", "a")
    assert check_files("a", "b") == ("a", "b")
    first, second = tmp_path / "one", tmp_path / "two"
    first.write_text("same")
    second.write_text("same")
    with pytest.raises(UserError, match=r"^source kubeconfig and destination kubeconfig file"):
        check_files(str(first), str(second))
