"""Kitchen times, weekday names and Stork's validation messages."""

from __future__ import annotations

from typing import Any

import pytest

from stork.schedule import (
    DAY_NAMES,
    KITCHEN_TIME_PATTERN,
    PolicyError,
    get_retain,
    parse_kitchen,
    validate_policy,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:02PM", (13, 2)),
        ("1:02pm", (13, 2)),
        ("10:14PM", (22, 14)),
        ("8:05PM", (20, 5)),
        ("12:00am", (0, 0)),
        ("12:00PM", (12, 0)),
        ("12:59AM", (0, 59)),
        ("0:30AM", (0, 30)),
        ("00:30pm", (12, 30)),
        ("09:15am", (9, 15)),
    ],
)
def test_accepted_times(text: str, expected: tuple[int, int]) -> None:
    assert parse_kitchen(text) == expected


@pytest.mark.parametrize(
    ("text", "go_error"),
    [
        ("13:15pm", 'parsing time "13:15pm": hour out of range'),
        ("25:00PM", 'parsing time "25:00PM": hour out of range'),
        ("12:04", 'parsing time "12:04" as "3:04pm": cannot parse "" as "pm"'),
        ("11:15 PM", 'parsing time "11:15 PM" as "3:04pm": cannot parse " PM" as "pm"'),
        ("11:15Pm", 'parsing time "11:15Pm" as "3:04pm": cannot parse "Pm" as "pm"'),
        ("1:2PM", 'parsing time "1:2PM" as "3:04pm": cannot parse "2PM" as "04"'),
        ("1:60PM", 'parsing time "1:60PM": minute out of range'),
        ("1:00PMx", 'parsing time "1:00PMx" as "3:04pm": cannot parse "PMx" as "pm"'),
        ("1:00pmx", 'parsing time "1:00pmx": extra text: "x"'),
        ("", 'parsing time "" as "3:04pm": cannot parse "" as "3"'),
    ],
)
def test_refused_times_carry_go_errors(text: str, go_error: str) -> None:
    with pytest.raises(PolicyError) as err:
        validate_policy({"policy": {"daily": {"time": text}}})
    assert str(err.value) == f"Invalid time ({text}) in Daily policy: {go_error}"


def test_pattern_agrees_with_the_parser() -> None:
    import re

    samples = [
        f"{h}:{m:02d}{s}"
        for h in range(0, 26)
        for m in (0, 7, 59, 60)
        for s in ("AM", "pm", "Pm", " PM", "")
    ]
    samples += [f"{h:02d}:{m:02d}{s}" for h in range(0, 14) for m in (0, 30) for s in ("AM", "pm")]
    for text in samples:
        try:
            parse_kitchen(text)
            ok = True
        except ValueError:
            ok = False
        assert bool(re.fullmatch(KITCHEN_TIME_PATTERN, text)) == ok, text


def test_every_stork_day_spelling() -> None:
    assert set(DAY_NAMES) == {
        "Sunday",
        "Sun",
        "sunday",
        "sun",
        "Monday",
        "Mon",
        "monday",
        "mon",
        "Tuesday",
        "Tue",
        "tuesday",
        "tue",
        "Wednesday",
        "Wed",
        "wednesday",
        "wed",
        "Thursday",
        "Thu",
        "Thur",
        "Thurs",
        "thursday",
        "thu",
        "thur",
        "thurs",
        "Friday",
        "Fri",
        "friday",
        "fri",
        "Saturday",
        "Sat",
        "saturday",
        "sat",
    }
    assert DAY_NAMES["Thurs"] == DAY_NAMES["thursday"] == 3
    assert DAY_NAMES["Sun"] == 6


@pytest.mark.parametrize("day", ["Fooday", "SUNDAY", "Tues", "Mo", "sunday ", ""])
def test_near_miss_days_are_refused(day: str) -> None:
    with pytest.raises(PolicyError, match=rf"^Invalid day of the week \({day}\) in Weekly policy$"):
        validate_policy({"policy": {"weekly": {"day": day, "time": "1:00PM"}}})


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"interval": {"intervalMinutes": 0}}, "Invalid intervalMinutes (0) in Interval policy"),
        ({"interval": {"intervalMinutes": -5}}, "Invalid intervalMinutes (-5) in Interval policy"),
        (
            {"monthly": {"date": 0, "time": "1:00PM"}},
            "Invalid date of the month (0) in Monthly policy",
        ),
        (
            {"monthly": {"date": 32, "time": "1:00PM"}},
            "Invalid date of the month (32) in Monthly policy",
        ),
        (
            {"monthly": {"date": 3, "time": "x"}},
            "Invalid time (x) in Monthly policy: "
            'parsing time "x" as "3:04pm": cannot parse "x" as "3"',
        ),
        (
            {"weekly": {"day": "Fooday", "time": "13:00PM"}},
            'Invalid time (13:00PM) in Weekly policy: parsing time "13:00PM": hour out of range',
        ),
        (
            {"daily": {"time": "1:00PM"}, "timeZone": "Mars/Olympus"},
            "Invalid timeZone (Mars/Olympus) in policy: unknown time zone",
        ),
    ],
)
def test_validation_messages(policy: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as err:
        validate_policy({"policy": policy})
    assert str(err.value) == message


def test_first_invalid_section_wins_in_storks_order() -> None:
    policy = {
        "policy": {"monthly": {"date": 0, "time": "1:00PM"}, "interval": {"intervalMinutes": 0}}
    }
    with pytest.raises(PolicyError, match="Interval"):
        validate_policy(policy)


def test_the_seed_policy_is_valid_and_retain_defaults() -> None:
    seed = {
        "policy": {
            "interval": {"intervalMinutes": 1},
            "daily": {"time": "10:14PM"},
            "weekly": {"day": "Thursday", "time": "10:13PM"},
            "monthly": {"date": 14, "time": "8:05PM"},
        }
    }
    validate_policy(seed)
    assert [get_retain(seed, t) for t in ("Interval", "Daily", "Weekly", "Monthly")] == [
        10,
        30,
        7,
        12,
    ]
    assert get_retain({"policy": {"daily": {"time": "1:00PM", "retain": 3}}}, "Daily") == 3
    assert get_retain({"policy": {}}, "Weekly") == 1
