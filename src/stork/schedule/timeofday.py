"""Times of day in Go's Kitchen layout, exactly as Stork parses them.

Stork's ``getHourMinute`` (``pkg/apis/stork/v1alpha1/schedulepolicy.go``) calls Go's
``time.Parse("3:04PM", s)`` and, when that fails, ``time.Parse("3:04pm", s)``; the error of the
second attempt is the one users see. This module reproduces Go's parser (``time/format.go``,
Go 1.21, the version Stork builds with) for exactly these two layouts, including its error texts.

How Go walks the layout ``3:04PM`` (``nextStdChunk``):

1. ``3`` (stdHour12): ``getnum(value, fixed=false)`` takes one ASCII digit, or two when the
   second character is also a digit. No digit: ``cannot parse "<rest>" as "3"``. A value above
   12: ``parsing time "<value>": hour out of range`` (the range check runs before anything
   else is read, so ``25:00PM`` reports the hour, not the colon).
2. ``:`` (a literal prefix, ``skip``): ``cannot parse "<rest>" as ":"``.
3. ``04`` (stdZeroMinute): ``getnum(value, fixed=true)`` needs exactly two ASCII digits:
   ``cannot parse "<rest>" as "04"``; 60 or more: ``parsing time "<value>": minute out of
   range``.
4. ``PM`` (stdPM) takes the next two bytes and accepts only ``PM``/``AM``; stdpm (layout
   ``3:04pm``) only ``pm``/``am``: ``cannot parse "<rest>" as "PM"`` (or ``"pm"``).
5. End of layout with input left: ``parsing time "<value>": extra text: "<rest>"``.

All quoted parts go through Go's ``time.quote``: ``"`` and ``\\`` are backslash-escaped, and
every byte of a character below U+0020 or from U+0080 up is written as ``\\xNN``.

Source: Go's ``time/format.go`` (``parse``, ``getnum``, ``skip``, ``quote``,
``ParseError.Error``); Stork's go.mod names Go 1.21. Uncertainty: older Go releases worded a
few of these differently (``extra text`` unquoted, no ``\\x`` escaping in ``quote``); the two
only differ for trailing text and for control or non-ASCII characters, and the forms here are
those of the Go releases Stork is built with.
"""

from __future__ import annotations

from typing import Final, Literal

#: What Go's time.Parse("3:04PM") or time.Parse("3:04pm") accepts, as an anchored regular
#: expression usable in an OpenAPI ``pattern`` (RE2 and ECMA-262 alike): one or two ASCII hour
#: digits with a value of at most 12 (``0``, ``00``, ``7``, ``07``, ``12``), a colon, exactly two
#: minute digits ``00``..``59``, then ``AM``/``PM`` or ``am``/``pm`` (no space, no mixed case).
#: In Python use ``re.fullmatch``: Python's ``$`` also matches before a final newline.
KITCHEN_TIME_PATTERN: Final = r"^(0?[0-9]|1[0-2]):[0-5][0-9](AM|PM|am|pm)$"

_HEX: Final = "0123456789abcdef"


class TimeOfDayError(ValueError):
    """A time that Go's Kitchen parsing refuses; ``str()`` is Go's ``ParseError`` text."""


def go_quote(text: str) -> str:
    """Go's ``time.quote``: a double-quoted string with Go's (deliberately small) escaping."""
    out = ['"']
    for char in text:
        if char < " " or char >= "\x80":
            # Go escapes every byte of the UTF-8 encoding (invalid bytes, which a Python str
            # can only hold as surrogates, come out byte by byte as well).
            out.extend(
                f"\\x{_HEX[b >> 4]}{_HEX[b & 0xF]}" for b in char.encode("utf-8", "surrogatepass")
            )
        elif char in '"\\':
            out.append("\\" + char)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _is_digit(text: str, index: int) -> bool:
    """Go's ``isDigit``: an ASCII digit at ``index`` (Python's str.isdigit is Unicode-wide)."""
    return index < len(text) and "0" <= text[index] <= "9"


def _parse_layout(value: str, marker: Literal["PM", "pm"]) -> tuple[int, int]:
    """Go's ``time.Parse("3:04" + marker, value)``: the (hour, minute) it yields, or its error."""
    layout = f"3:04{marker}"

    def cannot(rest: str, element: str) -> TimeOfDayError:
        return TimeOfDayError(
            f"parsing time {go_quote(value)} as {go_quote(layout)}: "
            f"cannot parse {go_quote(rest)} as {go_quote(element)}"
        )

    def message(text: str) -> TimeOfDayError:
        return TimeOfDayError(f"parsing time {go_quote(value)}{text}")

    rest = value
    # "3": stdHour12, getnum(value, false).
    if not _is_digit(rest, 0):
        raise cannot(rest, "3")
    width = 2 if _is_digit(rest, 1) else 1
    hour, rest = int(rest[:width]), rest[width:]
    if hour > 12:
        raise message(": hour out of range")
    # ":": a literal, skip(value, ":").
    if not rest.startswith(":"):
        raise cannot(rest, ":")
    rest = rest[1:]
    # "04": stdZeroMinute, getnum(value, true).
    if not (_is_digit(rest, 0) and _is_digit(rest, 1)):
        raise cannot(rest, "04")
    minute, rest = int(rest[:2]), rest[2:]
    if minute >= 60:
        raise message(": minute out of range")
    # "PM" / "pm": the next two bytes, exactly one of the two spellings of this layout.
    mark = rest[:2]
    if mark not in (("AM", "PM") if marker == "PM" else ("am", "pm")):
        raise cannot(rest, marker)
    rest = rest[2:]
    if rest:
        raise message(": extra text: " + go_quote(rest))
    if mark in ("PM", "pm") and hour < 12:
        hour += 12
    elif mark in ("AM", "am") and hour == 12:
        hour = 0
    return hour, minute


def parse_kitchen(value: str) -> tuple[int, int]:
    """(hour 0-23, minute) of a Kitchen time, as Stork's ``getHourMinute`` parses it.

    Tries Go's layout ``3:04PM`` and then ``3:04pm``; raises :class:`TimeOfDayError` carrying
    Go's error text of the second attempt (which is what Stork reports).
    """
    try:
        return _parse_layout(value, "PM")
    except TimeOfDayError:
        return _parse_layout(value, "pm")
