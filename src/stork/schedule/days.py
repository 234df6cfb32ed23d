"""Weekday names exactly as Stork accepts them (``v1alpha1.Days``; case-sensitive)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

# In the order of Stork's source, Sunday first. Numbers are Python's (date.weekday(): Monday 0).
_FORMS: Final = (
    (6, ("Sunday", "Sun", "sunday", "sun")),
    (0, ("Monday", "Mon", "monday", "mon")),
    (1, ("Tuesday", "Tue", "tuesday", "tue")),
    (2, ("Wednesday", "Wed", "wednesday", "wed")),
    (3, ("Thursday", "Thu", "Thur", "Thurs", "thursday", "thu", "thur", "thurs")),
    (4, ("Friday", "Fri", "friday", "fri")),
    (5, ("Saturday", "Sat", "saturday", "sat")),
)

#: Every spelling Stork accepts for a weekly policy's ``day`` -> Python weekday number
#: (``datetime.date.weekday()``: Monday 0 ... Sunday 6; Go's ``time.Weekday`` would say Sunday 0).
#: Read-only; iteration order is Stork's source order (Sunday first).
DAY_NAMES: Final[Mapping[str, int]] = MappingProxyType(
    {name: weekday for weekday, names in _FORMS for name in names}
)
