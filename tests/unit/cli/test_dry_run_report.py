"""The report ``storkctl create migration --dry-run`` prints from a dry-run Migration's status."""

from __future__ import annotations

from typing import Any

from stork.cli import dryrun_report
from stork.migration import dryrun


def _item(kind: str, name: str, reason: str, group: str = "core", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": "app",
        "group": group,
        "version": "v1",
        "kind": kind,
        "status": "Failed" if reason.startswith("Refused") else "Successful",
        "reason": reason,
        **extra,
    }


DIFF = (
    "diff -u -N live/v1.ConfigMap.app.c merged/v1.ConfigMap.app.c\n"
    "--- live/v1.ConfigMap.app.c\n"
    "+++ merged/v1.ConfigMap.app.c\n"
    "@@ -1,2 +1,2 @@\n"
    " data:\n"
    "-  k: a\n"
    "+  k: b\n"
)
RESOURCES = [
    _item("ConfigMap", "new", dryrun.WOULD_CREATE),
    _item("ConfigMap", "c", dryrun.WOULD_UPDATE, diff=DIFF),
    _item("Secret", "s", dryrun.DRY_UNCHANGED),
    _item(
        "Deployment",
        "web",
        dryrun.WOULD_RECREATE.format(reason="spec.selector: field is immutable"),
        group="apps",
    ),
    _item("Service", "old", dryrun.WOULD_DELETE),
    _item("Widget", "w", dryrun.REFUSED.format(message="denied"), group="example.com"),
]


def test_table_has_one_line_per_object_with_its_action() -> None:
    lines = dryrun_report.table(RESOURCES).splitlines()
    assert lines[0].split() == ["NAMESPACE", "OBJECT", "ACTION", "DETAILS"]
    cells = [line.split(None, 3) for line in lines[1:]]
    assert [c[1:3] for c in cells] == [
        ["configmap/new", "create"],
        ["configmap/c", "update"],
        ["secret/s", "unchanged"],
        ["deployment.apps/web", "recreate"],
        ["service/old", "delete"],
        ["widget.example.com/w", "refused"],
    ]
    assert cells[1][3] == "+1 -1 lines"
    assert cells[3][3] == "spec.selector: field is immutable"
    assert cells[5][3] == "denied"


def test_summary_counts_each_action() -> None:
    assert dryrun_report.summary("m", RESOURCES, omitted=2) == (
        "Dry run of migration m: 1 create, 1 update, 1 unchanged, 1 recreate, 1 delete,"
        " 1 refused (2 more not listed in status); nothing was written on the destination"
    )
    assert dryrun_report.summary("m", []).startswith("Dry run of migration m: no resources;")


def test_a_failure_the_dry_run_did_not_word_is_refused() -> None:
    item = _item("Foo", "f", "Error applying resource: Foo is not served")
    item["status"] = "Failed"
    assert dryrun_report.action(item) == "refused"
    assert dryrun_report.rows([item])[0][3] == "Error applying resource: Foo is not served"


def test_diff_output_is_the_updates_diffs_only() -> None:
    assert dryrun_report.diffs(RESOURCES) == DIFF
    assert dryrun_report.diffs(RESOURCES[:1]) == ""
