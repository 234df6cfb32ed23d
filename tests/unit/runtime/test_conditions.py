import datetime as dt

from stork.runtime.conditions import set_condition

T0 = dt.datetime(2026, 1, 1, 10, 0, 0, 123, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=5)


def test_new_condition_gets_the_transition_time() -> None:
    out = set_condition([], "Ready", True, "Paired", "ok", 3, T0)
    assert out == [
        {
            "type": "Ready",
            "status": "True",
            "reason": "Paired",
            "message": "ok",
            "lastTransitionTime": "2026-01-01T10:00:00Z",
            "observedGeneration": 3,
        }
    ]


def test_same_status_keeps_the_transition_time_but_updates_text() -> None:
    first = set_condition([], "Ready", False, "Unreachable", "a", None, T0)
    second = set_condition(first, "Ready", False, "Unreachable", "b", None, T1)
    assert second[0]["lastTransitionTime"] == "2026-01-01T10:00:00Z"
    assert second[0]["message"] == "b"
    third = set_condition(second, "Ready", True, "Paired", "c", None, T1)
    assert third[0]["lastTransitionTime"] == "2026-01-01T10:05:00Z"


def test_other_conditions_are_kept() -> None:
    start = set_condition([], "A", True, "r", "m", None, T0)
    out = set_condition(start, "B", False, "r", "m", None, T1)
    assert [c["type"] for c in out] == ["A", "B"]
    assert out[0] == start[0]
