"""validate_policy: Stork's checks, order and messages; our timeZone and empty-policy checks;
get_retain; the default policies."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from stork.schedule import (
    DEFAULT_POLICIES,
    POLICY_TYPES,
    PolicyError,
    SystemLocalZone,
    get_retain,
    next_trigger,
    policy_zone,
    trigger_required,
    validate_policy,
)

NO_SECTION = "Invalid policy: no interval, daily, weekly or monthly section"


def obj(body: Any, kind: str = "SchedulePolicy") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p"}
    if kind == "NamespacedSchedulePolicy":
        meta["namespace"] = "app"
    return {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": kind,
        "metadata": meta,
        "policy": body,
    }


def message(body: Any) -> str:
    with pytest.raises(PolicyError) as err:
        validate_policy(obj(body))
    return str(err.value)


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


@pytest.mark.parametrize("kind", ["SchedulePolicy", "NamespacedSchedulePolicy"])
def test_the_seed_policy_is_valid(kind: str) -> None:
    validate_policy(
        obj(
            {
                "interval": {"intervalMinutes": 1},
                "daily": {"time": "10:14PM"},
                "weekly": {"day": "Thursday", "time": "10:13PM"},
                "monthly": {"date": 14, "time": "8:05PM"},
            },
            kind,
        )
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Missing fields are Go's zero values, as after Go decoded the object.
        ({"interval": {}}, "Invalid intervalMinutes (0) in Interval policy"),
        ({"interval": {"intervalMinutes": 0}}, "Invalid intervalMinutes (0) in Interval policy"),
        ({"interval": {"intervalMinutes": -5}}, "Invalid intervalMinutes (-5) in Interval policy"),
        ({"interval": {"intervalMinutes": None}}, "Invalid intervalMinutes (0) in Interval policy"),
        (
            {"interval": {"intervalMinutes": True}},
            "Invalid intervalMinutes (true) in Interval policy",
        ),
        (
            {"interval": {"intervalMinutes": 1.5}},
            "Invalid intervalMinutes (1.5) in Interval policy",
        ),
        ({"interval": {"intervalMinutes": "5"}}, "Invalid intervalMinutes (5) in Interval policy"),
        (
            {"daily": {}},
            'Invalid time () in Daily policy: parsing time "" as "3:04pm": cannot parse "" as "3"',
        ),
        (
            {"daily": {"time": "25:00PM"}},
            'Invalid time (25:00PM) in Daily policy: parsing time "25:00PM": hour out of range',
        ),
        ({"daily": {"time": 1300}}, "Invalid time (1300) in Daily policy: not a string"),
        ({"weekly": {"time": "1:00PM"}}, "Invalid day of the week () in Weekly policy"),
        ({"daily": "10:14PM"}, "Invalid Daily policy: not an object"),
        ({"interval": 5, "daily": "x"}, "Invalid Interval policy: not an object"),
        (
            {"weekly": {"day": "Fooday", "time": "1:00PM"}},
            "Invalid day of the week (Fooday) in Weekly policy",
        ),
        ({"weekly": {"day": 3, "time": "1:00PM"}}, "Invalid day of the week (3) in Weekly policy"),
        # Inside weekly and monthly the time is checked first.
        (
            {"weekly": {"day": "Fooday", "time": "13:00PM"}},
            'Invalid time (13:00PM) in Weekly policy: parsing time "13:00PM": hour out of range',
        ),
        ({"monthly": {"time": "1:00PM"}}, "Invalid date of the month (0) in Monthly policy"),
        (
            {"monthly": {"date": 0, "time": "1:00PM"}},
            "Invalid date of the month (0) in Monthly policy",
        ),
        (
            {"monthly": {"date": 32, "time": "1:00PM"}},
            "Invalid date of the month (32) in Monthly policy",
        ),
        (
            {"monthly": {"date": -1, "time": "1:00PM"}},
            "Invalid date of the month (-1) in Monthly policy",
        ),
        (
            {"monthly": {"date": "14", "time": "1:00PM"}},
            "Invalid date of the month (14) in Monthly policy",
        ),
        (
            {"monthly": {"date": 0, "time": "x"}},
            'Invalid time (x) in Monthly policy: parsing time "x" as "3:04pm": cannot parse "x" as "3"',
        ),
    ],
)
def test_stork_messages(body: dict[str, Any], expected: str) -> None:
    assert message(body) == expected


def test_first_invalid_section_wins_in_storks_order() -> None:
    bad = {
        "interval": {"intervalMinutes": 0},
        "daily": {"time": "x"},
        "weekly": {"day": "x", "time": "1:00PM"},
        "monthly": {"date": 0, "time": "1:00PM"},
        "timeZone": "Mars/Olympus",
    }
    expected = [
        "Invalid intervalMinutes (0) in Interval policy",
        'Invalid time (x) in Daily policy: parsing time "x" as "3:04pm": cannot parse "x" as "3"',
        "Invalid day of the week (x) in Weekly policy",
        "Invalid date of the month (0) in Monthly policy",
        "Invalid timeZone (Mars/Olympus) in policy: unknown time zone",
    ]
    good = {
        "interval": {"intervalMinutes": 5},
        "daily": {"time": "1:00PM"},
        "weekly": {"day": "Sun", "time": "1:00PM"},
        "monthly": {"date": 1, "time": "1:00PM"},
        "timeZone": "UTC",
    }
    body = dict(bad)
    for key, text in zip(
        ["interval", "daily", "weekly", "monthly", "timeZone"], expected, strict=True
    ):
        assert message(body) == text
        body[key] = good[key]  # fix this one; the next one shows
    validate_policy(obj(body))


def test_null_and_absent_sections_are_not_there() -> None:
    validate_policy(
        obj({"interval": {"intervalMinutes": 5}, "daily": None, "weekly": None, "monthly": None})
    )
    validate_policy(obj({"monthly": {"date": 31, "time": "11:59pm"}}))


@pytest.mark.parametrize("body", [{}, None, {"daily": None}, {"timeZone": "UTC"}])
def test_a_policy_without_any_section_is_refused(body: Any) -> None:
    """Stork accepts it and its schedules never run, silently; we say why."""
    assert message(body) == NO_SECTION
    with pytest.raises(PolicyError, match="no interval"):
        validate_policy(
            {"apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "SchedulePolicy"}
        )
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for policy_type in POLICY_TYPES:
        with pytest.raises(PolicyError):
            trigger_required(obj(body), policy_type, None, now)


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/New_York", "Etc/GMT+5", "Asia/Kolkata", ""]
)
def test_known_time_zones(zone: str) -> None:
    validate_policy(obj({"daily": {"time": "1:00PM"}, "timeZone": zone}))


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Olympus",
        "utc",
        "Europe",
        "Europe/",
        "../etc/passwd",
        "/etc/localtime",
        "Europe/Berlin ",
    ],
)
def test_unknown_time_zones_are_named(zone: str) -> None:
    assert message({"daily": {"time": "1:00PM"}, "timeZone": zone}) == (
        f"Invalid timeZone ({zone}) in policy: unknown time zone"
    )


def test_time_zone_must_be_a_string() -> None:
    assert (
        message({"daily": {"time": "1:00PM"}, "timeZone": 5})
        == "Invalid timeZone (5) in policy: not a string"
    )


def test_policy_zone() -> None:
    berlin = obj({"daily": {"time": "1:00PM"}, "timeZone": "Europe/Berlin"})
    plain = obj({"daily": {"time": "1:00PM"}})
    new_york = ZoneInfo("America/New_York")
    assert policy_zone(berlin) == ZoneInfo("Europe/Berlin")
    assert policy_zone(berlin, new_york) == ZoneInfo("Europe/Berlin")
    assert policy_zone(plain, new_york) is new_york
    assert isinstance(policy_zone(plain), SystemLocalZone)


def test_an_invalid_policy_blocks_every_type() -> None:
    """As in Stork: one bad section makes every type of the policy an error."""
    policy = obj({"interval": {"intervalMinutes": 5}, "monthly": {"date": 0, "time": "1:00PM"}})
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(PolicyError, match=r"^Invalid date of the month \(0\) in Monthly policy$"):
        trigger_required(policy, "Interval", None, now)
    with pytest.raises(PolicyError):
        next_trigger(policy, "Daily", None, now)


def test_retain() -> None:
    body: dict[str, Any] = {
        "interval": {"intervalMinutes": 60},
        "daily": {"time": "10:40PM"},
        "weekly": {"time": "10:40PM", "day": "Thur"},
        "monthly": {"time": "10:40PM", "date": 25},
    }
    policy = obj(body)
    assert [get_retain(policy, t) for t in POLICY_TYPES] == [10, 30, 7, 12]
    for section in body.values():
        section["retain"] = 0
    assert [get_retain(policy, t) for t in POLICY_TYPES] == [10, 30, 7, 12]
    for n, section in enumerate(body.values(), start=1):
        section["retain"] = 5 * n
    assert [get_retain(policy, t) for t in POLICY_TYPES] == [5, 10, 15, 20]
    body["weekly"]["retain"] = -3  # Stork only replaces 0
    assert get_retain(policy, "Weekly") == -3
    body["weekly"]["retain"] = None
    assert get_retain(policy, "Weekly") == 7
    assert get_retain(obj({"daily": {"time": "1:00PM"}}), "Weekly") == 1  # absent section
    assert get_retain(obj({}), "Monthly") == 1
    with pytest.raises(ValueError, match="invalid policy type: Hourly"):
        get_retain(policy, "Hourly")


def test_default_policies_are_storks() -> None:
    assert [p["metadata"]["name"] for p in DEFAULT_POLICIES] == [
        "default-migration-policy",
        "default-interval-policy",
        "default-daily-policy",
        "default-weekly-policy",
        "default-monthly-policy",
    ]
    assert [p["policy"] for p in DEFAULT_POLICIES] == [
        {"interval": {"intervalMinutes": 30}},
        {"interval": {"intervalMinutes": 15, "retain": 10}},
        {"daily": {"time": "12:00am", "retain": 7}},
        {"weekly": {"day": "Sunday", "time": "12:00am", "retain": 4}},
        {"monthly": {"date": 15, "time": "12:00am", "retain": 12}},
    ]
    for policy in DEFAULT_POLICIES:
        assert policy["apiVersion"] == "stork.libopenstorage.org/v1alpha1"
        assert policy["kind"] == "SchedulePolicy"
        assert set(policy["metadata"]) == {"name"}
        validate_policy(policy)


def test_validation_does_not_change_the_policy() -> None:
    policy = obj(
        {"weekly": {"day": "thurs", "time": "10:13pm", "retain": 0}, "timeZone": "Europe/Berlin"}
    )
    before = copy.deepcopy(policy)
    validate_policy(policy)
    trigger_required(policy, "Weekly", None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    get_retain(policy, "Weekly")
    assert policy == before
