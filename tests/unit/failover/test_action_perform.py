"""What `storkctl perform` computes: namespaces, names and the Action, with Stork's messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from stork.api.action import ActionType
from stork.failover.perform import (
    PerformError,
    action_name,
    action_object,
    choose_namespaces,
    go_list,
    is_static_copy,
    last_mile_name,
    require_reference,
    schedule_namespaces,
    short_uid,
    started_message,
    status_hint,
)

NOW = dt.datetime(2024, 1, 1, 0, 0, 0)
LONG = "x" * 253


def _schedule(namespaces: list[str], selectors: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"namespaces": namespaces}
    if selectors:
        spec["namespaceSelectors"] = selectors
    return {"metadata": {"name": "s"}, "spec": {"template": {"spec": spec}}}


def _ns(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}}


@pytest.mark.parametrize("action_type", ["failover", "failback", "drill"])
def test_the_schedule_name_is_required(action_type: str) -> None:
    with pytest.raises(PerformError) as e:
        require_reference(action_type, "")
    assert (
        str(e.value) == f"reference MigrationSchedule name needs to be provided for {action_type}"
    )
    require_reference(action_type, "s")


def test_static_copy() -> None:
    assert is_static_copy(
        {"metadata": {"annotations": {"stork.libopenstorage.org/static-copy": "true"}}}
    )
    assert not is_static_copy(
        {"metadata": {"annotations": {"stork.libopenstorage.org/static-copy": "True"}}}
    )
    assert not is_static_copy({"metadata": {}})
    assert not is_static_copy({})


def test_schedule_namespaces_keep_the_given_order_without_selectors() -> None:
    assert schedule_namespaces(_schedule(["b", "a"]), [_ns("c", app="x")]) == ["b", "a"]


def test_schedule_namespaces_with_selectors_add_every_match_of_any_pair_sorted() -> None:
    namespaces = [_ns("c", team="x"), _ns("d", env="prod"), _ns("e", team="y"), _ns("a")]
    got = schedule_namespaces(_schedule(["b"], {"team": "x", "env": "prod"}), namespaces)
    assert got == ["b", "c", "d"]


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (None, None, ["ns1", "ns2", "ns3"]),
        ([], [], ["ns1", "ns2", "ns3"]),
        (["ns2"], None, ["ns2"]),
        (["ns3", "ns1"], None, ["ns3", "ns1"]),
        (None, ["ns1"], ["ns2", "ns3"]),
        (None, ["ns3", "ns1"], ["ns2"]),
        (None, ["ns1", "ns2", "ns3"], []),
    ],
)
def test_choose_namespaces(
    include: list[str] | None, exclude: list[str] | None, expected: list[str]
) -> None:
    assert choose_namespaces(include, exclude, ["ns1", "ns2", "ns3"]) == expected


def test_include_and_exclude_together_are_refused() -> None:
    with pytest.raises(PerformError) as e:
        choose_namespaces(["ns1"], ["ns2"], ["ns1", "ns2"])
    assert str(e.value) == (
        "can provide only one of --include-namespaces or --exclude-namespaces values at once"
    )


@pytest.mark.parametrize("side", ["include", "exclude"])
def test_namespaces_outside_the_schedule_are_named_as_go_prints_them(side: str) -> None:
    given = ["ns1", "namespace1", "other"]
    include, exclude = (given, None) if side == "include" else (None, given)
    with pytest.raises(PerformError) as e:
        choose_namespaces(include, exclude, ["ns1"])
    assert str(e.value) == (
        "provided namespaces [namespace1 other] are not a subset of the namespaces being "
        "migrated by the given MigrationSchedule"
    )


def test_go_list() -> None:
    assert go_list([]) == "[]"
    assert go_list(["a"]) == "[a]"
    assert go_list(["a", "b"]) == "[a b]"


def test_action_name_is_stork_s() -> None:
    assert action_name("failover", "test-migrationschedule", NOW) == (
        "failover-test-migrationschedule-2024-01-01-000000"
    )
    assert action_name("failback", "s", NOW) == "failback-s-2024-01-01-000000"


@pytest.mark.parametrize("action_type", ["failover", "failback", "drill"])
def test_a_long_schedule_name_is_truncated_to_a_valid_object_name(action_type: str) -> None:
    name = action_name(action_type, LONG, NOW)
    room = 253 - len(action_type) - len("2024-01-01-000000") - 2
    assert name == f"{action_type}-{LONG[:room]}-2024-01-01-000000"
    assert len(name) == 253


def test_last_mile_name_is_stork_s() -> None:
    uid = "353342c4-0000-4000-8000-000000000000"
    assert last_mile_name("test-migrationschedule", "Failover", uid) == (
        "test-migrationschedule-lastmile-failover-353342c"
    )
    name = last_mile_name(LONG, "failback", uid)
    assert len(name) == 253
    assert name.endswith("-lastmile-failback-353342c")
    assert short_uid("1234567") == ""
    assert short_uid("12345678") == "1234567"


def test_action_objects() -> None:
    failover = action_object(
        ActionType.FAILOVER, "kube-system", "n", "s", ["ns1"], skip_source_operations=True
    )
    assert failover["spec"] == {
        "actionType": "failover",
        "actionParameter": {
            "failoverParameter": {
                "failoverNamespaces": ["ns1"],
                "migrationScheduleReference": "s",
                "skipSourceOperations": True,
            }
        },
    }
    assert failover["metadata"] == {"name": "n", "namespace": "kube-system"}
    failback = action_object(ActionType.FAILBACK, "ns", "n", "s", ["a", "b"])
    assert failback["spec"]["actionParameter"] == {
        "failbackParameter": {"failbackNamespaces": ["a", "b"], "migrationScheduleReference": "s"}
    }
    drill = action_object(
        ActionType.DRILL, "ns", "n", "s", ["a"], suffix="dr", keep=True, timeout_seconds=60
    )
    assert drill["spec"]["actionParameter"]["drillParameter"] == {
        "drillNamespaces": ["a"],
        "migrationScheduleReference": "s",
        "suffix": "dr",
        "keep": True,
        "timeoutSeconds": 60,
    }


def test_messages() -> None:
    assert started_message("failover", "kube-system", "s") == (
        "Started failover for MigrationSchedule kube-system/s"
    )
    assert status_hint("failback", "failback-s-1", "ns") == (
        "To check failback status use the command : `storkctl get failback failback-s-1 -n ns`"
    )
