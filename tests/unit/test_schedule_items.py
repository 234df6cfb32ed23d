import datetime as dt

from stork.controller.migrationschedule import migration_name, prune_items


def _item(name: str, status: str) -> dict[str, str]:
    return {"name": name, "status": status}


def test_names_follow_stork() -> None:
    when = dt.datetime(2019, 2, 16, 0, 40, 52)
    assert (
        migration_name("mysqlmigrationschedule", "Interval", when)
        == "mysqlmigrationschedule-interval-2019-02-16-004052"
    )


def test_prune_keeps_the_last_success_and_everything_after() -> None:
    items = [
        _item("a", "Successful"),
        _item("b", "Failed"),
        _item("c", "PartialSuccess"),
        _item("d", "Failed"),
        _item("e", "InProgress"),
    ]
    kept, deleted = prune_items(items)
    assert [i["name"] for i in kept] == ["c", "d", "e"]
    assert deleted == ["a", "b"]


def test_prune_without_success_keeps_everything() -> None:
    items = [_item("a", "Failed"), _item("b", "InProgress")]
    assert prune_items(items) == (items, [])
    assert prune_items([]) == ([], [])
