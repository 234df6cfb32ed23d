"""Log formats of `stork run`: readable text, or one JSON object per line with the object."""

from __future__ import annotations

import json
import logging

import pytest

from stork.runtime.logs import JsonFormatter, ObjectFilter, TextFormatter, about, reconciling


def make_record(message: str, extra: dict[str, object] | None = None) -> logging.LogRecord:
    logger = logging.getLogger("stork.test")
    record = logger.makeRecord(
        "stork.test", logging.INFO, __file__, 1, message, (), None, extra=extra
    )
    record.created = 1767225600.25  # 2026-01-01T00:00:00.250Z
    ObjectFilter().filter(record)
    return record


def test_json_line_has_time_level_logger_message_and_object() -> None:
    record = make_record("migrated", about("Migration", "app", "m-1", "migration"))
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-01-01T00:00:00.250Z",
        "level": "info",
        "logger": "stork.test",
        "message": "migrated",
        "controller": "migration",
        "kind": "Migration",
        "namespace": "app",
        "name": "m-1",
    }


def test_json_line_without_object() -> None:
    assert set(json.loads(JsonFormatter().format(make_record("hello")))) == {
        "time",
        "level",
        "logger",
        "message",
    }


def test_reconciling_context_names_the_object_of_lines_without_extra() -> None:
    with reconciling("migrationschedule", "MigrationSchedule", "ns", "sched"):
        record = make_record("started")
    data = json.loads(JsonFormatter().format(record))
    assert (data["kind"], data["namespace"], data["name"], data["controller"]) == (
        "MigrationSchedule",
        "ns",
        "sched",
        "migrationschedule",
    )
    assert "name" not in json.loads(JsonFormatter().format(make_record("after")))


def test_explicit_extra_wins_over_the_context() -> None:
    with reconciling("migration", "Migration", "ns", "a"):
        record = make_record("x", about("ClusterPair", "ns", "b"))
    assert json.loads(JsonFormatter().format(record))["name"] == "b"


def test_json_carries_the_traceback_as_error() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "failed", (), exc_info=__import__("sys").exc_info()
        )
    data = json.loads(JsonFormatter().format(record))
    assert data["level"] == "error"
    assert "ValueError: boom" in data["error"]


def test_text_appends_the_object() -> None:
    line = TextFormatter().format(make_record("done", about("Migration", "app", "m-1")))
    assert line.endswith("INFO stork.test: done [Migration app/m-1]")


def test_text_cluster_scoped_object_and_no_object() -> None:
    assert (
        TextFormatter()
        .format(make_record("x", about("SchedulePolicy", "", "p")))
        .endswith(": x [SchedulePolicy p]")
    )
    assert TextFormatter().format(make_record("plain")).endswith("stork.test: plain")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_configure_replaces_handlers(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    from stork.runtime.logs import configure

    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure(fmt, logging.INFO)  # type: ignore[arg-type]
        logging.getLogger("stork.x").info("hi", extra=about("Migration", "n", "m"))
        err = capsys.readouterr().err.strip()
        if fmt == "json":
            assert json.loads(err)["name"] == "m"
        else:
            assert err.endswith("stork.x: hi [Migration n/m]")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
