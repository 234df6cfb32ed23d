"""Kitchen times (Go's time.Parse("3:04PM") then ("3:04pm")) and Stork's weekday spellings."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stork.schedule import (
    DAY_NAMES,
    KITCHEN_TIME_PATTERN,
    PolicyError,
    TimeOfDayError,
    parse_kitchen,
    validate_policy,
)
from stork.schedule.timeofday import go_quote


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:02PM", (13, 2)),
        ("1:02pm", (13, 2)),
        ("10:14PM", (22, 14)),
        ("8:05PM", (20, 5)),
        ("11:15pm", (23, 15)),
        ("11:59PM", (23, 59)),
        ("12:00am", (0, 0)),
        ("12:00AM", (0, 0)),
        ("12:00PM", (12, 0)),
        ("12:00pm", (12, 0)),
        ("12:59AM", (0, 59)),
        ("0:30AM", (0, 30)),  # Go accepts hour 0 ...
        ("0:30PM", (12, 30)),  # ... and adds 12 for PM
        ("00:30pm", (12, 30)),
        ("00:00AM", (0, 0)),
        ("01:15am", (1, 15)),
        ("09:15am", (9, 15)),
        ("9:15AM", (9, 15)),
    ],
)
def test_accepted_times(text: str, expected: tuple[int, int]) -> None:
    assert parse_kitchen(text) == expected
    assert re.fullmatch(KITCHEN_TIME_PATTERN, text)
    validate_policy({"policy": {"daily": {"time": text}}})


# The error of Go's second attempt (layout "3:04pm"), which Stork puts after the colon.
@pytest.mark.parametrize(
    ("text", "go_error"),
    [
        ("13:15pm", 'parsing time "13:15pm": hour out of range'),
        # Go reads both hour digits before it checks the range, so not "cannot parse ... as ':'".
        ("25:00PM", 'parsing time "25:00PM": hour out of range'),
        ("1300PM", 'parsing time "1300PM": hour out of range'),
        ("12:04", 'parsing time "12:04" as "3:04pm": cannot parse "" as "pm"'),
        ("11:15 PM", 'parsing time "11:15 PM" as "3:04pm": cannot parse " PM" as "pm"'),
        ("11:15Pm", 'parsing time "11:15Pm" as "3:04pm": cannot parse "Pm" as "pm"'),
        ("11:15pM", 'parsing time "11:15pM" as "3:04pm": cannot parse "pM" as "pm"'),
        ("1:2PM", 'parsing time "1:2PM" as "3:04pm": cannot parse "2PM" as "04"'),
        ("1:PM", 'parsing time "1:PM" as "3:04pm": cannot parse "PM" as "04"'),
        ("1:", 'parsing time "1:" as "3:04pm": cannot parse "" as "04"'),
        ("1:60PM", 'parsing time "1:60PM": minute out of range'),
        ("1:99pm", 'parsing time "1:99pm": minute out of range'),
        ("123:00PM", 'parsing time "123:00PM" as "3:04pm": cannot parse "3:00PM" as ":"'),
        ("1.00PM", 'parsing time "1.00PM" as "3:04pm": cannot parse ".00PM" as ":"'),
        ("1:234PM", 'parsing time "1:234PM" as "3:04pm": cannot parse "4PM" as "pm"'),
        # First layout: extra text "x"; second layout: "PMx" is not "pm". Stork shows the second.
        ("1:00PMx", 'parsing time "1:00PMx" as "3:04pm": cannot parse "PMx" as "pm"'),
        ("1:00pmx", 'parsing time "1:00pmx": extra text: "x"'),
        ("1:00pm ", 'parsing time "1:00pm ": extra text: " "'),
        ("1:00PM ", 'parsing time "1:00PM " as "3:04pm": cannot parse "PM " as "pm"'),
        (" 1:00PM", 'parsing time " 1:00PM" as "3:04pm": cannot parse " 1:00PM" as "3"'),
        ("", 'parsing time "" as "3:04pm": cannot parse "" as "3"'),
        ("noon", 'parsing time "noon" as "3:04pm": cannot parse "noon" as "3"'),
        ("13:00", 'parsing time "13:00": hour out of range'),
        ("22:14", 'parsing time "22:14": hour out of range'),
        # Go's quote() escapes quotes, backslashes, control and non-ASCII bytes.
        ('1:00"pm', 'parsing time "1:00\\"pm" as "3:04pm": cannot parse "\\"pm" as "pm"'),
        ("1:00pm\n", 'parsing time "1:00pm\\x0a": extra text: "\\x0a"'),
        # Only ASCII digits are digits to Go (Python's str.isdigit() would accept these).
        (
            "\uff11:00PM",
            'parsing time "\\xef\\xbc\\x91:00PM" as "3:04pm": '
            'cannot parse "\\xef\\xbc\\x91:00PM" as "3"',
        ),
        (
            "1:\u0663\u0660PM",
            'parsing time "1:\\xd9\\xa3\\xd9\\xa0PM" as "3:04pm": '
            'cannot parse "\\xd9\\xa3\\xd9\\xa0PM" as "04"',
        ),
    ],
)
def test_refused_times_carry_go_errors(text: str, go_error: str) -> None:
    with pytest.raises(TimeOfDayError) as parse_err:
        parse_kitchen(text)
    assert str(parse_err.value) == go_error
    assert not re.fullmatch(KITCHEN_TIME_PATTERN, text)
    with pytest.raises(PolicyError) as err:
        validate_policy({"policy": {"daily": {"time": text}}})
    assert str(err.value) == f"Invalid time ({text}) in Daily policy: {go_error}"


def test_go_quote() -> None:
    assert go_quote("") == '""'
    assert go_quote("abc 1:00") == '"abc 1:00"'
    assert go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert go_quote("\t\x7f") == '"\\x09\x7f"'  # DEL is printed as it is, like Go
    assert go_quote("é") == '"\\xc3\\xa9"'
    assert go_quote("\ufffd") == '"\\xef\\xbf\\xbd"'


def _parses(text: str) -> bool:
    try:
        parse_kitchen(text)
    except TimeOfDayError:
        return False
    return True


def test_pattern_agrees_with_the_parser_on_a_grid() -> None:
    samples = [
        f"{h}:{m:02d}{s}"
        for h in range(0, 26)
        for m in (0, 7, 59, 60, 99)
        for s in ("AM", "PM", "am", "pm", "Pm", "aM", " PM", "", "PMx", "pm ")
    ]
    samples += [f"{h:02d}:{m:02d}{s}" for h in range(0, 14) for m in (0, 30) for s in ("AM", "pm")]
    samples += [f"{h:03d}:00PM" for h in range(0, 14)] + [
        f"{h}:{m}PM" for h in range(13) for m in range(10)
    ]
    for text in samples:
        assert bool(re.fullmatch(KITCHEN_TIME_PATTERN, text)) == _parses(text), text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789:AMPampx \u0663", max_size=9))
def test_pattern_agrees_with_the_parser_on_any_text(text: str) -> None:
    assert bool(re.fullmatch(KITCHEN_TIME_PATTERN, text)) == _parses(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 23), st.integers(0, 59), st.booleans(), st.booleans())
def test_every_time_of_day_has_kitchen_spellings(
    hour: int, minute: int, lower: bool, padded: bool
) -> None:
    h12 = hour % 12 or 12
    text = f"{h12:02d}" if padded else str(h12)
    text += f":{minute:02d}" + ("AM" if hour < 12 else "PM")
    if lower:
        text = text.lower()
    assert parse_kitchen(text) == (hour, minute)


STORK_DAYS = {
    "Sunday": 6,
    "Sun": 6,
    "sunday": 6,
    "sun": 6,
    "Monday": 0,
    "Mon": 0,
    "monday": 0,
    "mon": 0,
    "Tuesday": 1,
    "Tue": 1,
    "tuesday": 1,
    "tue": 1,
    "Wednesday": 2,
    "Wed": 2,
    "wednesday": 2,
    "wed": 2,
    "Thursday": 3,
    "Thu": 3,
    "Thur": 3,
    "Thurs": 3,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "Friday": 4,
    "Fri": 4,
    "friday": 4,
    "fri": 4,
    "Saturday": 5,
    "Sat": 5,
    "saturday": 5,
    "sat": 5,
}


def test_day_names_are_exactly_storks_in_storks_order() -> None:
    assert dict(DAY_NAMES) == STORK_DAYS
    assert list(DAY_NAMES) == list(STORK_DAYS)  # Sunday first, as in Stork's source
    with pytest.raises(TypeError):
        DAY_NAMES["Funday"] = 1  # type: ignore[index]


@pytest.mark.parametrize("day", sorted(STORK_DAYS))
def test_every_stork_day_spelling_is_accepted(day: str) -> None:
    validate_policy({"policy": {"weekly": {"day": day, "time": "1:00PM"}}})


@pytest.mark.parametrize(
    "day",
    [
        "Fooday",
        "T",
        "SUNDAY",
        "SUN",
        "Tues",
        "tues",
        "Weds",
        "Thursdays",
        "thUrsday",
        "Mo",
        "Sunday ",
        " sun",
        "sun\n",
        "Sonntag",
        "7",
        "",
    ],
)
def test_near_miss_days_are_refused(day: str) -> None:
    with pytest.raises(PolicyError) as err:
        validate_policy({"policy": {"weekly": {"day": day, "time": "1:00PM"}}})
    assert str(err.value) == f"Invalid day of the week ({day}) in Weekly policy"
