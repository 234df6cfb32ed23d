from stork.api.constants import MigrationStatus
from stork.migration.ledger import (
    MIGRATED,
    Entry,
    bounded_resources,
    go_duration,
    overall_status,
    summary,
)


def _entry(status: MigrationStatus, api_version: str = "v1") -> Entry:
    return Entry(api_version, "ConfigMap", "ns", "c", status, "r")


def test_status_item_uses_core_for_the_core_group() -> None:
    assert _entry(MigrationStatus.SUCCESSFUL).to_status() == {
        "name": "c",
        "namespace": "ns",
        "group": "core",
        "version": "v1",
        "kind": "ConfigMap",
        "status": "Successful",
        "reason": "r",
        "transformedBy": "",
    }
    assert _entry(MigrationStatus.SUCCESSFUL, "apps/v1").to_status()["group"] == "apps"


def test_gvk_is_printed_as_go_does() -> None:
    assert _entry(MigrationStatus.FAILED, "apps/v1").gvk == "apps/v1, Kind=ConfigMap"
    assert _entry(MigrationStatus.FAILED).gvk == "/v1, Kind=ConfigMap"


def test_overall_status() -> None:
    ok, bad = MigrationStatus.SUCCESSFUL, MigrationStatus.FAILED
    assert overall_status([]) == ok
    assert overall_status([_entry(ok), _entry(ok)]) == ok
    assert overall_status([_entry(ok), _entry(bad)]) == MigrationStatus.PARTIAL_SUCCESS
    assert overall_status([_entry(bad)]) == bad
    assert overall_status([_entry(ok), _entry(MigrationStatus.PURGED)]) == ok


def test_summary_counts() -> None:
    out = summary([_entry(MigrationStatus.SUCCESSFUL), _entry(MigrationStatus.FAILED)], 90.5)
    assert (out["totalNumberOfResources"], out["numOfMigratedResources"]) == (2, 1)
    assert out["elapsedTimeForResourceMigration"] == "1m30.5s"
    assert summary([], None)["elapsedTimeForResourceMigration"] == "NA"


def test_go_duration() -> None:
    assert [go_duration(s) for s in (0, 0.25, 1, 1.5, 61, 3600, 3661.25)] == [
        "0s",
        "250ms",
        "1s",
        "1.5s",
        "1m1s",
        "1h0m0s",
        "1h1m1.25s",
    ]


def test_status_resources_stay_within_budget_failures_first() -> None:
    ok = [
        Entry("v1", "ConfigMap", "ns", f"c{i}", MigrationStatus.SUCCESSFUL, MIGRATED)
        for i in range(50)
    ]
    bad = Entry(
        "v1", "Secret", "ns", "broken", MigrationStatus.FAILED, "Error applying resource: x"
    )
    recreated = Entry(
        "apps/v1", "Deployment", "ns", "web", MigrationStatus.SUCCESSFUL, "Resource re-created: y"
    )
    one = len(__import__("json").dumps(ok[0].to_status())) + 1
    kept, omitted = bounded_resources([*ok, recreated, bad], budget=one * 10)
    assert [k["name"] for k in kept[:2]] == ["broken", "web"]
    assert len(kept) + omitted == 52
    assert omitted > 0
    everything, none = bounded_resources([*ok, bad])
    assert (len(everything), none) == (51, 0)
