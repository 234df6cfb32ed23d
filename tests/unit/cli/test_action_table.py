"""`storkctl get failover|failback` tables: Stork's own expectations (pkg/storkctl/
actionstatus_test.go) for every stage and summary, and the drill's lines and report."""

from __future__ import annotations

from typing import Any

import pytest

from stork.cli.action_cmd import COLUMNS, parse_duration, row
from stork.cli.table import format_table
from stork.failover.display import drill_report, more_info, pretty_stage

FAILOVER = "failover-test-migrationschedule-2024-01-01-000000"
FAILBACK = "failback-test-migrationschedule-2024-01-01-000000"
LAST_MILE_FAILED = (
    "Failing {0} operation as the last mile migration test-migrationschedule-lastmile-{0}-353342c"
    " failed: status Failed"
)


def action(
    name: str,
    action_type: str,
    stage: str,
    status: str,
    summary: list[tuple[str, str]] | None = None,
    reason: str = "",
) -> dict[str, Any]:
    body: dict[str, Any] = {"stage": stage, "status": status, "reason": reason}
    if summary is not None:
        key = f"{action_type}Summary"
        body["summary"] = {
            key: [{"namespace": ns, "status": st, "reason": "r"} for ns, st in summary]
        }
    return {
        "metadata": {"name": name, "namespace": "kube-system"},
        "spec": {"actionType": action_type},
        "status": body,
    }


def table(obj: dict[str, Any]) -> str:
    return format_table(COLUMNS, [row(obj)]) + "\n"


OK2 = [("ns1", "Successful"), ("ns2", "Successful")]
HALF = [("ns1", "Successful"), ("ns2", "Failed")]
ROLLED = [("ns1", "RollbackSuccessful"), ("ns2", "RollbackSuccessful")]
ROLLED_HALF = [("ns1", "RollbackSuccessful"), ("ns2", "RollbackFailed")]

CASES = [
    # TestGetFailoverSuccessfulFailoverAction / TestGetFailbackSuccessfulFailbackAction
    (action(FAILOVER, "failover", "Final", "Successful", OK2),
     "NAME                                                CREATED   STAGE       STATUS       MORE INFO\n"
     f"{FAILOVER}             Completed   Successful   Scaled up Apps in : 2/2 namespaces\n"),
    (action(FAILBACK, "failback", "Final", "Successful", OK2),
     "NAME                                                CREATED   STAGE       STATUS       MORE INFO\n"
     f"{FAILBACK}             Completed   Successful   Scaled up Apps in : 2/2 namespaces\n"),
    # TestGetFailoverAllStages
    (action(FAILOVER, "failover", "", "In-Progress"),
     "NAME                                                CREATED   STAGE         STATUS        MORE INFO\n"
     f"{FAILOVER}             Validations   In-Progress   \n"),
    (action(FAILOVER, "failover", "ScaleDownSource", "In-Progress"),
     "NAME                                                CREATED   STAGE                    STATUS        MORE INFO\n"
     f"{FAILOVER}             Scale Down (on source)   In-Progress   \n"),
    (action(FAILOVER, "failover", "WaitAfterScaleDown", "In-Progress"),
     "NAME                                                CREATED   STAGE                                        STATUS        MORE INFO\n"
     f"{FAILOVER}             Waiting for Apps to Scale Down (on source)   In-Progress   \n"),
    (action(FAILOVER, "failover", "LastMileMigration", "In-Progress"),
     "NAME                                                CREATED   STAGE                                              STATUS        MORE INFO\n"
     f"{FAILOVER}             Last Mile Migration (from source -> destination)   In-Progress   \n"),
    (action(FAILOVER, "failover", "ScaleUpDestination", "Successful", HALF),
     "NAME                                                CREATED   STAGE                       STATUS       MORE INFO\n"
     f"{FAILOVER}             Scale Up (on destination)   Successful   Scaled up Apps in : 1/2 namespaces\n"),
    (action(FAILOVER, "failover", "ScaleUpSource", "Successful", ROLLED, LAST_MILE_FAILED.format("failover")),
     "NAME                                                CREATED   STAGE                                 STATUS       MORE INFO\n"
     f"{FAILOVER}             Rolling Back Scale Down (on source)   Successful   Rolled back Apps in : 2/2 namespaces ; "
     f"{LAST_MILE_FAILED.format('failover')}\n"),
    # TestGetFailbackAllStages
    (action(FAILBACK, "failback", "", "In-Progress"),
     "NAME                                                CREATED   STAGE         STATUS        MORE INFO\n"
     f"{FAILBACK}             Validations   In-Progress   \n"),
    (action(FAILBACK, "failback", "ScaleDownDestination", "In-Progress"),
     "NAME                                                CREATED   STAGE                         STATUS        MORE INFO\n"
     f"{FAILBACK}             Scale Down (on destination)   In-Progress   \n"),
    (action(FAILBACK, "failback", "WaitAfterScaleDown", "In-Progress"),
     "NAME                                                CREATED   STAGE                                             STATUS        MORE INFO\n"
     f"{FAILBACK}             Waiting for Apps to Scale Down (on destination)   In-Progress   \n"),
    (action(FAILBACK, "failback", "LastMileMigration", "In-Progress"),
     "NAME                                                CREATED   STAGE                                              STATUS        MORE INFO\n"
     f"{FAILBACK}             Last Mile Migration (from destination -> source)   In-Progress   \n"),
    (action(FAILBACK, "failback", "ScaleUpSource", "Successful", HALF),
     "NAME                                                CREATED   STAGE                  STATUS       MORE INFO\n"
     f"{FAILBACK}             Scale Up (on source)   Successful   Scaled up Apps in : 1/2 namespaces\n"),
    (action(FAILBACK, "failback", "ScaleUpDestination", "Successful", ROLLED, LAST_MILE_FAILED.format("failback")),
     "NAME                                                CREATED   STAGE                                      STATUS       MORE INFO\n"
     f"{FAILBACK}             Rolling Back Scale Down (on destination)   Successful   Rolled back Apps in : 2/2 namespaces ; "
     f"{LAST_MILE_FAILED.format('failback')}\n"),
    # TestGetFailoverFailedFailoverAction / TestGetFailbackFailedFailbackAction
    (action(FAILOVER, "failover", "Final", "Failed", ROLLED_HALF, LAST_MILE_FAILED.format("failover")),
     "NAME                                                CREATED   STAGE       STATUS   MORE INFO\n"
     f"{FAILOVER}             Completed   Failed   Rolled back Apps in : 1/2 namespaces ; "
     f"{LAST_MILE_FAILED.format('failover')}\n"),
    (action(FAILBACK, "failback", "Final", "Failed", ROLLED_HALF, LAST_MILE_FAILED.format("failback")),
     "NAME                                                CREATED   STAGE       STATUS   MORE INFO\n"
     f"{FAILBACK}             Completed   Failed   Rolled back Apps in : 1/2 namespaces ; "
     f"{LAST_MILE_FAILED.format('failback')}\n"),
]  # fmt: skip


@pytest.mark.parametrize(("obj", "expected"), CASES)
def test_stork_s_tables(obj: dict[str, Any], expected: str) -> None:
    assert table(obj) == expected


def test_more_info_is_the_reason_without_a_summary_and_shows_empty_summaries() -> None:
    assert more_info(action("a", "failover", "", "Failed", reason="why")) == "why"
    # Stork hides an Action whose summary has no items; it is shown here, with its reason
    empty = action("a", "failover", "Final", "Failed", reason="why")
    empty["status"]["summary"] = {"failoverSummary": []}
    assert more_info(empty) == "why"
    assert more_info({"metadata": {"name": "x"}}) == ""


@pytest.mark.parametrize(
    ("stage", "action_type", "expected"),
    [
        ("", "drill", "Validations"),
        ("DrillCopy", "drill", "Copy to Drill Namespaces (on destination)"),
        ("DrillWait", "drill", "Waiting for Apps to be Ready (in drill namespaces)"),
        ("DrillTeardown", "drill", "Tear Down (drill namespaces)"),
        ("Final", "drill", "Completed"),
        ("WaitAfterScaleDown", "nearsyncFailover", "WaitAfterScaleDown"),
        ("Unknown", "failover", "Unknown"),
        (None, None, "Validations"),
    ],
)
def test_stage_names(stage: str | None, action_type: str | None, expected: str) -> None:
    assert pretty_stage(stage, action_type) == expected


def _drill(**drill: Any) -> dict[str, Any]:
    obj = action("drill-s-1", "drill", "Final", "Successful")
    obj["spec"]["actionParameter"] = {"drillParameter": {"migrationScheduleReference": "s"}}
    obj["status"]["drill"] = drill
    return obj


WORKLOADS = [
    {"namespace": "app-drill", "kind": "Deployment", "name": "web", "ready": True, "reason": "3/3 Ready"},
    {"namespace": "app-drill", "kind": "StatefulSet", "name": "db", "ready": False,
     "reason": "0/1 Ready; PersistentVolumeClaim data is Pending"},
]  # fmt: skip


def test_drill_lines() -> None:
    obj = _drill(workloads=WORKLOADS, readySeconds=12.34)
    assert more_info(obj) == "Ready workloads : 1/2 in 12.3s"
    obj["status"]["reason"] = "1/2 workloads Ready after 300s"
    assert more_info(obj) == "Ready workloads : 1/2 in 12.3s ; 1/2 workloads Ready after 300s"
    assert more_info(_drill()) == ""


def test_drill_report_says_what_an_auditor_asks() -> None:
    obj = _drill(
        namespaces={"app": "app-drill"},
        objects=7,
        workloads=WORKLOADS,
        readySeconds=12.34,
        notes=["app/Service web: type NodePort becomes ClusterIP"],
        refused=[],
        tornDown=True,
    )
    text = drill_report(obj, "01 Jan 24 00:00 UTC", "01 Jan 24 00:01 UTC")
    assert text.splitlines() == [
        "Drill:            drill-s-1",
        "Namespace:        kube-system",
        "Schedule:         kube-system/s",
        "Created:          01 Jan 24 00:00 UTC",
        "Finished:         01 Jan 24 00:01 UTC",
        "Stage:            Completed",
        "Status:           Successful",
        "Ready after:      12.3s",
        "Workloads Ready:  1/2",
        "Namespaces:",
        "  app -> app-drill",
        "Objects copied:   7",
        "Workloads:",
        "  app-drill/Deployment/web  Ready      3/3 Ready",
        "  app-drill/StatefulSet/db  NOT READY  0/1 Ready; PersistentVolumeClaim data is Pending",
        "Changed or not copied:",
        "  - app/Service web: type NodePort becomes ClusterIP",
        "Torn down:        yes",
        "Source touched:   no (a drill reads the standby copy on this cluster only)",
    ]
    kept = _drill(tornDown=False)
    assert "Torn down:        no (kept: `storkctl delete drill drill-s-1 -n kube-system`" in (
        drill_report(kept)
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h30m", 5400), ("1.5m", 90), ("500ms", 0.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5x", "m", "1m junk", "-1s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)
