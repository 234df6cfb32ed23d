"""Weekday names exactly as Stork accepts them (case-sensitive), and their numbers."""

from __future__ import annotations

_FORMS = {  # in Stork's order, Sunday first
    6: ("Sunday", "Sun", "sunday", "sun"),
    0: ("Monday", "Mon", "monday", "mon"),
    1: ("Tuesday", "Tue", "tuesday", "tue"),
    2: ("Wednesday", "Wed", "wednesday", "wed"),
    3: ("Thursday", "Thu", "Thur", "Thurs", "thursday", "thu", "thur", "thurs"),
    4: ("Friday", "Fri", "friday", "fri"),
    5: ("Saturday", "Sat", "saturday", "sat"),
}
#: Stork's spelling -> Python weekday number (Monday is 0).
DAY_NAMES: dict[str, int] = {name: day for day, names in _FORMS.items() for name in names}
